package io.servicekit.mcp;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON-RPC 2.0 helpers for MCP POST bodies: batch detection, batch splitting and message
 * classification — the Go library's {@code DetectBatch}/{@code SplitBatch}, stricter where it is
 * lax (W-42): an empty batch {@code []} and a bare {@code null} are errors, and a UTF-8 byte order
 * mark is skipped.
 *
 * <pre>{@code
 * if (JsonRpc.isBatch(body)) {
 *   for (JsonNode message : JsonRpc.splitBatch(body)) { ... }
 * } else {
 *   JsonNode message = JsonRpc.parse(body);
 *   switch (JsonRpc.classify(message)) { case REQUEST -> ...; case NOTIFICATION -> ...; ... }
 * }
 * }</pre>
 *
 * <p>Parsing is strict (duplicate keys and trailing content rejected); failures throw {@link
 * JsonRpcException} with the JSON-RPC error code to answer.
 */
final class JsonRpc {
  /** What a single JSON-RPC message is. */
  enum Kind {
    /** Has {@code method} and {@code id}: expects a response. */
    REQUEST,
    /** Has {@code method} and no {@code id}: expects none. */
    NOTIFICATION,
    /** Has {@code id} and exactly one of {@code result} and {@code error}, no {@code method}. */
    RESPONSE
  }

  private static final JsonMapper MAPPER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private JsonRpc() {}

  /**
   * Whether {@code body} is a batch: after an optional UTF-8 BOM and JSON whitespace (space, tab,
   * CR, LF) the first byte is {@code [}. Looks at no more than that; empty input is not a batch.
   */
  static boolean isBatch(byte[] body) {
    Objects.requireNonNull(body, "body");
    int i = hasBom(body) ? 3 : 0;
    while (i < body.length) {
      byte b = body[i];
      if (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
        i++;
        continue;
      }
      return b == '[';
    }
    return false;
  }

  private static boolean hasBom(byte[] b) {
    return hasBomAt(b, 0);
  }

  private static boolean hasBomAt(byte[] b, int i) {
    return b.length >= i + 3
        && (b[i] & 0xFF) == 0xEF
        && (b[i + 1] & 0xFF) == 0xBB
        && (b[i + 2] & 0xFF) == 0xBF;
  }

  /**
   * Parses {@code body} (one message or a batch; a leading UTF-8 BOM is skipped) as JSON.
   *
   * @throws JsonRpcException {@link JsonRpcException#PARSE_ERROR} if it is not one JSON value (a
   *     second BOM included), {@link JsonRpcException#INVALID_REQUEST} if it is {@code null}
   */
  static JsonNode parse(byte[] body) {
    Objects.requireNonNull(body, "body");
    int offset = hasBom(body) ? 3 : 0;
    if (offset == 3 && hasBomAt(body, 3)) {
      // Jackson would skip this second BOM too; isBatch does not, so the two would disagree.
      throw new JsonRpcException(
          JsonRpcException.PARSE_ERROR, "invalid JSON-RPC body: more than one byte order mark");
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(body, offset, body.length - offset);
    } catch (JacksonException e) {
      throw new JsonRpcException(
          JsonRpcException.PARSE_ERROR, "invalid JSON-RPC body: " + e.getOriginalMessage(), e);
    }
    if (node == null || node.isMissingNode()) {
      throw new JsonRpcException(JsonRpcException.PARSE_ERROR, "invalid JSON-RPC body: empty");
    }
    if (node.isNull()) {
      throw new JsonRpcException(
          JsonRpcException.INVALID_REQUEST, "invalid JSON-RPC body: null is not a message");
    }
    return node;
  }

  /**
   * The elements of the batch {@code body}, in order, each its own JSON value (not validated as
   * messages: use {@link #classify} on each, as JSON-RPC answers invalid elements one by one).
   *
   * @throws JsonRpcException if {@code body} is not valid JSON ({@code -32700}), not an array, or
   *     an empty array ({@code -32600}; JSON-RPC 2.0 forbids empty batches)
   */
  static List<JsonNode> splitBatch(byte[] body) {
    JsonNode node = parse(body);
    if (!node.isArray()) {
      throw new JsonRpcException(
          JsonRpcException.INVALID_REQUEST,
          "invalid JSON-RPC batch: expected an array, got " + node.getNodeType());
    }
    if (node.isEmpty()) {
      throw new JsonRpcException(
          JsonRpcException.INVALID_REQUEST, "invalid JSON-RPC batch: empty batch []");
    }
    List<JsonNode> elements = new ArrayList<>(node.size());
    node.forEach(elements::add);
    return List.copyOf(elements);
  }

  /**
   * {@link #splitBatch} with each element re-serialized as compact UTF-8 JSON bytes (equal in
   * content, not necessarily byte for byte, to the input's text).
   */
  static List<byte[]> splitBatchBytes(byte[] body) {
    List<byte[]> out = new ArrayList<>();
    for (JsonNode element : splitBatch(body)) {
      out.add(MAPPER.writeValueAsBytes(element));
    }
    return List.copyOf(out);
  }

  /**
   * What kind of JSON-RPC 2.0 message {@code message} is.
   *
   * @throws JsonRpcException {@link JsonRpcException#INVALID_REQUEST} naming the rule broken: not
   *     an object, {@code jsonrpc} not {@code "2.0"}, {@code method} not a string, an {@code id}
   *     that is not a string, number or null, or a response without exactly one of {@code result}
   *     and {@code error}
   */
  static Kind classify(JsonNode message) {
    Objects.requireNonNull(message, "message");
    if (!message.isObject()) {
      throw invalid("a JSON-RPC message must be an object, got " + message.getNodeType());
    }
    JsonNode version = message.get("jsonrpc");
    if (version == null || !version.isString() || !"2.0".equals(version.asString())) {
      throw invalid("a JSON-RPC message must have \"jsonrpc\": \"2.0\", got " + version);
    }
    JsonNode id = message.get("id");
    if (id != null && !(id.isString() || id.isNumber() || id.isNull())) {
      throw invalid("JSON-RPC id must be a string, number or null, got " + id.getNodeType());
    }
    JsonNode method = message.get("method");
    if (method != null) {
      if (!method.isString()) {
        throw invalid("JSON-RPC method must be a string, got " + method.getNodeType());
      }
      return id == null ? Kind.NOTIFICATION : Kind.REQUEST;
    }
    boolean result = message.has("result");
    boolean error = message.has("error");
    if (id == null) {
      throw invalid(
          "a JSON-RPC message needs \"method\" (request/notification) or \"id\" (response)");
    }
    if (result == error) {
      throw invalid("a JSON-RPC response must have exactly one of \"result\" and \"error\"");
    }
    return Kind.RESPONSE;
  }

  /** {@link #classify(JsonNode)} of the single message {@code body}. */
  static Kind classify(byte[] body) {
    return classify(parse(body));
  }

  private static JsonRpcException invalid(String message) {
    return new JsonRpcException(JsonRpcException.INVALID_REQUEST, message);
  }
}
