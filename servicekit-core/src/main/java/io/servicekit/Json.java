package io.servicekit;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.json.JsonMapper;

/** The shared Jackson mapper and the transport's JSON envelopes (ping, error, pong detection). */
final class Json {
  /**
   * Strict on input (duplicate keys rejected; Jackson's default depth, number and string limits),
   * lenient on shape like Go's {@code encoding/json}: unknown properties ignored, names matched
   * case-insensitively.
   */
  static final JsonMapper MAPPER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_PROPERTIES)
          .build();

  /** Longest text frame inspected for a client pong; real pongs are a few dozen bytes. */
  private static final int MAX_PONG_LENGTH = 512;

  private Json() {}

  /** {@code s} as a JSON string literal. */
  static String quote(String s) {
    return MAPPER.writeValueAsString(s);
  }

  /**
   * The ping envelope, keys in the Go library's (alphabetical) order: {@code
   * {"connId":"...","name":"...","pingId":n,"type":"ping"}}.
   */
  static String ping(String connId, String name, long pingId) {
    return "{\"connId\":"
        + quote(connId)
        + ",\"name\":"
        + quote(name)
        + ",\"pingId\":"
        + pingId
        + ",\"type\":\"ping\"}";
  }

  /** The error envelope {@code {"error":"...","type":"error"}}. */
  static String error(String message) {
    return "{\"error\":" + quote(message == null ? "" : message) + ",\"type\":\"error\"}";
  }

  /**
   * The resync envelope a clustered hub sends its members after a broker gap, keys in alphabetical
   * order like the others: {@code {"outageMs":n,"reason":"...","topic":"...","type":"resync"}}.
   */
  static String resync(String topic, String reason, long outageMs) {
    return "{\"outageMs\":"
        + outageMs
        + ",\"reason\":"
        + quote(reason)
        + ",\"topic\":"
        + quote(topic)
        + ",\"type\":\"resync\"}";
  }

  /**
   * Whether {@code text} is a client heartbeat answer {@code {"type":"pong",...}}. Cheap for other
   * messages: only short objects that mention {@code "pong"} are parsed.
   */
  static boolean isPong(String text) {
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
