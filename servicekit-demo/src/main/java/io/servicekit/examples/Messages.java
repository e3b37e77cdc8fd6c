package io.servicekit.examples;

import io.servicekit.MessageRejectedException;
import io.servicekit.Rejection;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Helpers shared by the examples for reading dynamic JSON and handshake parameters. The Go samples
 * use unchecked type assertions ({@code msg.(map[string]any)}, {@code msgMap["type"].(string)})
 * that panic on unexpected input; these helpers fail with a {@link MessageRejectedException} or a
 * {@link Rejection} that names the rule and the value instead.
 */
final class Messages {
  /** Names (users, players, rooms): 1-32 letters, digits, {@code _} or {@code -}. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,32}");

  private Messages() {}

  /** {@code message} as a JSON object. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> object(Object message) {
    if (message instanceof Map<?, ?> map) {
      return (Map<String, Object>) map;
    }
    throw new MessageRejectedException("expected a JSON object, got " + describe(message));
  }

  /** The non-empty string at {@code key}. */
  static String string(Map<String, Object> message, String key) {
    Object value = message.get(key);
    if (value instanceof String s && !s.isBlank()) {
      return s;
    }
    throw new MessageRejectedException(
        "\"" + key + "\" must be a non-empty string, got " + describe(value));
  }

  /** The {@code type} of a JSON object message. */
  static String type(Object message) {
    return string(object(message), "type");
  }

  /** Whether {@code value} is a valid name (see {@link #requireName}). */
  static boolean isName(String value) {
    return value != null && NAME.matcher(value).matches();
  }

  /** A room or user name, or a {@link MessageRejectedException}. */
  static String name(Map<String, Object> message, String key) {
    String value = string(message, key);
    if (!isName(value)) {
      throw new MessageRejectedException(
          "\"" + key + "\" must be 1-32 letters, digits, '_' or '-', got " + describe(value));
    }
    return value;
  }

  /**
   * The handshake parameter {@code what} as a name, or a 400 rejection naming the rule and the
   * value.
   */
  static String requireName(Optional<String> value, String what) {
    if (value.isPresent() && isName(value.get())) {
      return value.get();
    }
    throw Rejection.of(
        400,
        what
            + " is required: 1-32 letters, digits, '_' or '-'"
            + value.map(v -> ", got '" + abbreviate(v) + "'").orElse(""));
  }

  private static String describe(Object value) {
    if (value == null) {
      return "nothing";
    }
    if (value instanceof String s) {
      return "'" + abbreviate(s) + "'";
    }
    if (value instanceof Map) {
      return "an object";
    }
    if (value instanceof Iterable) {
      return "an array";
    }
    if (value instanceof Number) {
      return "the number " + value;
    }
    return String.valueOf(value);
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
