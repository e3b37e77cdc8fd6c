package io.servicekit.client;

import java.util.Iterator;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Recognises the transport envelopes a ServiceKit server sends besides data: heartbeat pings
 * ({@code {"connId":..,"name":..,"pingId":n,"type":"ping"}}, or {@code {"type":"ping","pingId":n}}
 * from a gRPC bridge) and error envelopes ({@code {"error":"..","type":"error"}}, optionally with
 * {@code code}). Only objects whose keys are all envelope keys count, so an application message
 * that merely has a {@code type} field is not mistaken for one.
 */
final class Envelopes {
  static final JsonMapper MAPPER = JsonMapper.builder().build();

  private static final Set<String> PING_KEYS = Set.of("type", "pingId", "connId", "name");
  private static final Set<String> ERROR_KEYS = Set.of("type", "error", "code");
  private static final Set<String> PONG_KEYS = Set.of("type", "pingId", "timestamp");

  /** A recognised envelope. */
  sealed interface Envelope {}

  /** A server heartbeat. */
  record Ping(long pingId) implements Envelope {}

  /** The answer to one of the client's own pings. */
  record Pong(long pingId) implements Envelope {}

  /** A server error report; {@code code} is null when the envelope has none. */
  @SuppressWarnings("JavaLangClash") // the wire name; always used qualified as Envelopes.Error
  record Error(String message, @Nullable String code) implements Envelope {}

  private Envelopes() {}

  /** The envelope {@code text} is, or null if it is an ordinary message. */
  static @Nullable Envelope inspect(String text) {
    int start = 0;
    int n = text.length();
    while (start < n && Character.isWhitespace(text.charAt(start))) {
      start++;
    }
    if (start == n || text.charAt(start) != '{') {
      return null;
    }
    boolean ping = text.contains("\"ping\"");
    boolean pong = !ping && text.contains("\"pong\"");
    boolean error = !ping && !pong && text.contains("\"error\"");
    if (!ping && !pong && !error) {
      return null;
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(text);
    } catch (JacksonException e) {
      return null;
    }
    if (node == null || !node.isObject()) {
      return null;
    }
    JsonNode type = node.get("type");
    if (type == null || !type.isString()) {
      return null;
    }
    if (ping && "ping".equals(type.asString()) && onlyKeys(node, PING_KEYS)) {
      JsonNode id = node.get("pingId");
      if (id == null || id.isIntegralNumber()) {
        return new Ping(id == null ? 0 : id.asLong());
      }
      return null;
    }
    if (pong && "pong".equals(type.asString()) && onlyKeys(node, PONG_KEYS)) {
      JsonNode id = node.get("pingId");
      return id != null && id.isIntegralNumber() ? new Pong(id.asLong()) : null;
    }
    if ("error".equals(type.asString()) && onlyKeys(node, ERROR_KEYS)) {
      JsonNode message = node.get("error");
      JsonNode code = node.get("code");
      if ((message == null || message.isString()) && (code == null || code.isString())) {
        return new Error(
            message == null ? "" : message.asString(), code == null ? null : code.asString());
      }
    }
    return null;
  }

  /** The answer to a ping: {@code {"type":"pong","pingId":n}}. */
  static String pong(long pingId) {
    return "{\"type\":\"pong\",\"pingId\":" + pingId + "}";
  }

  private static boolean onlyKeys(JsonNode node, Set<String> allowed) {
    Iterator<String> names = node.propertyNames().iterator();
    while (names.hasNext()) {
      if (!allowed.contains(names.next())) {
        return false;
      }
    }
    return true;
  }
}
