package io.servicekit.internal;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The shared Jackson mapper and client pong detection, for {@code io.servicekit.Json} and the
 * WebSocket driver. Internal: not part of the API.
 */
public final class SharedJson {
  /**
   * Strict on input (duplicate keys rejected; Jackson's default depth, number and string limits),
   * lenient on shape like Go's {@code encoding/json}: unknown properties ignored, names matched
   * case-insensitively.
   */
  public static final JsonMapper MAPPER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_PROPERTIES)
          .build();

  /** Longest text frame inspected for a client pong; real pongs are a few dozen bytes. */
  private static final int MAX_PONG_LENGTH = 512;

  private SharedJson() {}

  /**
   * Whether {@code text} is a client heartbeat answer {@code {"type":"pong",...}}. Cheap for other
   * messages: only short objects that mention {@code "pong"} are parsed.
   */
  public static boolean isPong(String text) {
    int n = text.length();
    if (n > MAX_PONG_LENGTH || n < 15 || text.indexOf("\"pong\"") < 0) {
      return false;
    }
    try {
      JsonNode node = MAPPER.readTree(text);
      JsonNode type = node.get("type");
      return node.isObject() && type != null && type.isString() && "pong".equals(type.asString());
    } catch (JacksonException e) {
      return false;
    }
  }
}
