package io.servicekit.mcp;

import io.servicekit.streamable.StreamableRequest;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The request headers of the 2026-07-28 Streamable HTTP transport (SEP-2243): {@code Mcp-Method},
 * {@code Mcp-Name} and {@code Mcp-Param-<Name>} mirror the body, and a request whose headers are
 * missing or disagree with it is refused with -32020 (HTTP 400). Header names are matched without
 * regard to case (the binding does that), values exactly, after trimming surrounding whitespace.
 * {@code Mcp-Name} and {@code Mcp-Param-*} values that are not plain visible ASCII travel as {@code
 * =?base64?<base64 of UTF-8>?=}; a value without both markers is taken literally.
 */
final class McpHeaders {
  static final String METHOD = "Mcp-Method";
  static final String NAME = "Mcp-Name";
  static final String PARAM_PREFIX = "Mcp-Param-";

  /** The key of a tool input property that is mirrored into a header. */
  static final String X_MCP_HEADER = "x-mcp-header";

  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]*={0,2}");

  private McpHeaders() {}

  /**
   * Why the headers of {@code message} (a request or notification) do not match it, or empty when
   * they do. {@code toolSchema} is the called tool's input schema (null for other methods or an
   * unknown tool).
   */
  static Optional<String> mismatch(
      StreamableRequest request, JsonNode message, @Nullable JsonNode toolSchema) {
    String method = message.path("method").asString("");
    boolean isRequest = message.has("id");
    Optional<String> m = request.header(METHOD).map(String::trim);
    if (m.isEmpty()) {
      if (isRequest) {
        return Optional.of("the Mcp-Method header is required (expected '" + method + "')");
      }
    } else if (!m.get().equals(method)) {
      return Optional.of(
          "the Mcp-Method header '"
              + HttpFront.abbreviate(m.get())
              + "' does not match the body's method '"
              + method
              + "'");
    }
    JsonNode params = message.path("params");
    String nameField =
        switch (method) {
          case "tools/call", "prompts/get" -> "name";
          case "resources/read" -> "uri";
          default -> null;
        };
    if (nameField != null && isRequest) {
      JsonNode bodyName = params.path(nameField);
      Optional<String> raw = request.header(NAME);
      if (raw.isEmpty()) {
        return Optional.of(
            "the Mcp-Name header is required for "
                + method
                + " (expected params."
                + nameField
                + ")");
      }
      Decoded name = decode(raw.get());
      String nameValue = name.value();
      if (nameValue == null) { // then the error is set
        return Optional.of("the Mcp-Name header " + name.error());
      }
      if (!bodyName.isString() || !bodyName.asString().equals(nameValue)) {
        return Optional.of(
            "the Mcp-Name header '"
                + HttpFront.abbreviate(nameValue)
                + "' does not match params."
                + nameField
                + " "
                + HttpFront.abbreviate(bodyName));
      }
    }
    if ("tools/call".equals(method) && toolSchema != null) {
      return paramMismatch(request, params.path("arguments"), toolSchema);
    }
    return Optional.empty();
  }

  private static Optional<String> paramMismatch(
      StreamableRequest request, JsonNode arguments, JsonNode schema) {
    for (Map.Entry<String, JsonNode> p : schema.path("properties").properties()) {
      JsonNode header = p.getValue().path(X_MCP_HEADER);
      if (!header.isString()) {
        continue;
      }
      String headerName = PARAM_PREFIX + header.asString();
      JsonNode value = arguments.path(p.getKey());
      Optional<String> raw = request.header(headerName);
      boolean hasValue = !value.isMissingNode() && !value.isNull();
      if (raw.isEmpty()) {
        if (hasValue) {
          return Optional.of(
              "the " + headerName + " header is required: arguments." + p.getKey() + " is set");
        }
        continue;
      }
      if (!hasValue) {
        return Optional.of(
            "the " + headerName + " header is sent but arguments." + p.getKey() + " is not set");
      }
      Decoded d = decode(raw.get());
      String decoded = d.value();
      if (decoded == null) { // then the error is set
        return Optional.of("the " + headerName + " header " + d.error());
      }
      if (!sameValue(decoded, value)) {
        return Optional.of(
            "the "
                + headerName
                + " header '"
                + HttpFront.abbreviate(decoded)
                + "' does not match arguments."
                + p.getKey()
                + " "
                + HttpFront.abbreviate(value));
      }
    }
    return Optional.empty();
  }

  private static boolean sameValue(String header, JsonNode body) {
    if (body.isString()) {
      return header.equals(body.asString());
    }
    if (body.isBoolean()) {
      return header.equals(body.asBoolean() ? "true" : "false");
    }
    if (body.isNumber()) {
      try {
        return new BigDecimal(header).compareTo(body.decimalValue()) == 0;
      } catch (NumberFormatException e) {
        return false;
      }
    }
    return false;
  }

  /** A decoded value, or (value null) the error saying why the header is not valid. */
  record Decoded(@Nullable String value, @Nullable String error) {}

  /** A header value trimmed and, if it has the markers, base64-decoded (strict, UTF-8). */
  static Decoded decode(String raw) {
    String v = raw.strip();
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return new Decoded(
            null,
            "has a character outside visible ASCII (U+"
                + String.format(Locale.ROOT, "%04X", (int) c)
                + "); send such values as =?base64?...?=");
      }
    }
    if (!(v.startsWith("=?base64?") && v.endsWith("?=") && v.length() >= 11)) {
      return new Decoded(v, null);
    }
    String b64 = v.substring(9, v.length() - 2);
    if (b64.length() % 4 != 0 || !BASE64.matcher(b64).matches()) {
      return new Decoded(
          null, "is not valid base64 (alphabet or padding): '" + HttpFront.abbreviate(b64) + "'");
    }
    try {
      byte[] bytes = Base64.getDecoder().decode(b64);
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
      return new Decoded(text, null);
    } catch (IllegalArgumentException | CharacterCodingException e) {
      return new Decoded(
          null, "is not valid base64-encoded UTF-8: '" + HttpFront.abbreviate(b64) + "'");
    }
  }

  /**
   * Checks the {@code x-mcp-header} annotations of a tool's input schema: a non-empty header token,
   * on a string, integer or boolean property directly under {@code properties}, unique without
   * regard to case.
   *
   * @throws IllegalArgumentException naming the tool, the property and the rule
   */
  static void checkToolSchema(String tool, JsonNode schema) {
    List<String> seen = new java.util.ArrayList<>();
    for (Map.Entry<String, JsonNode> p : schema.path("properties").properties()) {
      JsonNode h = p.getValue().path(X_MCP_HEADER);
      if (h.isMissingNode()) {
        continue;
      }
      String where = "tool " + tool + ", property " + p.getKey() + ": x-mcp-header ";
      if (!h.isString() || h.asString().isEmpty() || !TOKEN.matcher(h.asString()).matches()) {
        throw new IllegalArgumentException(
            where + "must be a non-empty HTTP header token, got " + h);
      }
      String type = p.getValue().path("type").asString("");
      if (!List.of("string", "integer", "boolean").contains(type)) {
        throw new IllegalArgumentException(
            where + "needs a property of type string, integer or boolean, got '" + type + "'");
      }
      String lower = h.asString().toLowerCase(Locale.ROOT);
      if (seen.contains(lower)) {
        throw new IllegalArgumentException(where + "'" + h.asString() + "' is used twice");
      }
      seen.add(lower);
    }
  }
}
