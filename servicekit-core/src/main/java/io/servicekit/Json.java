package io.servicekit;

import io.servicekit.internal.SharedJson;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/** The shared Jackson mapper and the transport's JSON envelopes (ping, error, pong detection). */
final class Json {
  /** The shared mapper: see {@link SharedJson#MAPPER}. */
  static final JsonMapper MAPPER = SharedJson.MAPPER;

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
  static String error(@Nullable String message) {
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

  /** Whether {@code text} is a client heartbeat answer: see {@link SharedJson#isPong}. */
  static boolean isPong(String text) {
    return SharedJson.isPong(text);
  }
}
