package io.servicekit.mcp;

import java.util.Base64;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Small JSON helpers for writing MCP results: content items ({@link #text}, {@link #image}, {@link
 * #audio}, {@link #embeddedText}), a tool result ({@link #toolResult}) and resource contents.
 */
public final class McpJson {
  /** The mapper the transport uses (Jackson 3). */
  public static final JsonMapper MAPPER = JsonMapper.builder().build();

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private McpJson() {}

  /** A new empty object. */
  public static ObjectNode object() {
    return NODES.objectNode();
  }

  /** A new empty array. */
  public static ArrayNode array() {
    return NODES.arrayNode();
  }

  /**
   * {@code json} parsed.
   *
   * @throws IllegalArgumentException if it is not valid JSON
   */
  public static JsonNode parse(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** {@code {"type":"text","text":text}}. */
  public static ObjectNode text(String text) {
    return object().put("type", "text").put("text", text);
  }

  /** {@code {"type":"image","data":base64,"mimeType":mimeType}}. */
  public static ObjectNode image(byte[] data, String mimeType) {
    return object()
        .put("type", "image")
        .put("data", Base64.getEncoder().encodeToString(data))
        .put("mimeType", mimeType);
  }

  /** {@code {"type":"audio","data":base64,"mimeType":mimeType}}. */
  public static ObjectNode audio(byte[] data, String mimeType) {
    return object()
        .put("type", "audio")
        .put("data", Base64.getEncoder().encodeToString(data))
        .put("mimeType", mimeType);
  }

  /** An embedded text resource: {@code {"type":"resource","resource":{uri,mimeType,text}}}. */
  public static ObjectNode embeddedText(String uri, String mimeType, String text) {
    ObjectNode out = object().put("type", "resource");
    out.set("resource", textContents(uri, mimeType, text));
    return out;
  }

  /** Text resource contents: {@code {uri, mimeType, text}}. */
  public static ObjectNode textContents(String uri, String mimeType, String text) {
    return object().put("uri", uri).put("mimeType", mimeType).put("text", text);
  }

  /** Binary resource contents: {@code {uri, mimeType, blob}} (base64). */
  public static ObjectNode blobContents(String uri, String mimeType, byte[] data) {
    return object()
        .put("uri", uri)
        .put("mimeType", mimeType)
        .put("blob", Base64.getEncoder().encodeToString(data));
  }

  /** A {@code resources/read} result: {@code {"contents":[...]}}. */
  public static ObjectNode readResult(JsonNode... contents) {
    ObjectNode out = object();
    ArrayNode list = out.putArray("contents");
    for (JsonNode c : contents) {
      list.add(c);
    }
    return out;
  }

  /** A {@code tools/call} result: {@code {"content":[...]}}. */
  public static ObjectNode toolResult(JsonNode... content) {
    ObjectNode out = object();
    ArrayNode list = out.putArray("content");
    for (JsonNode c : content) {
      list.add(c);
    }
    return out;
  }

  /** A failed {@code tools/call} result the model can read: {@code isError: true} and a text. */
  public static ObjectNode toolError(String message) {
    return toolResult(text(message)).put("isError", true);
  }

  /** A prompt message: {@code {"role":role,"content":content}}. */
  public static ObjectNode message(String role, JsonNode content) {
    ObjectNode out = object().put("role", role);
    out.set("content", content);
    return out;
  }

  /** A {@code prompts/get} result: {@code {"messages":[...]}} with an optional description. */
  public static ObjectNode promptResult(String description, JsonNode... messages) {
    ObjectNode out = object();
    if (description != null) {
      out.put("description", description);
    }
    ArrayNode list = out.putArray("messages");
    for (JsonNode m : messages) {
      list.add(m);
    }
    return out;
  }
}
