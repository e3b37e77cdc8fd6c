package io.servicekit.streamable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link StreamableHandler} answers: exactly one of {@link SingleResponse} (one body, e.g.
 * JSON or an empty 202) and {@link StreamResponse} (a {@code text/event-stream} fed by a producer).
 */
public sealed interface StreamableResponse permits SingleResponse, StreamResponse {
  /** The HTTP status. */
  int status();

  /** Extra response headers, names as given, values in order. */
  Map<String, List<String>> headers();

  /** Validates and deep-copies {@code headers} (names and values must not contain CR or LF). */
  static Map<String, List<String>> copyHeaders(Map<String, List<String>> headers) {
    Objects.requireNonNull(headers, "headers");
    Map<String, List<String>> copy = new LinkedHashMap<>();
    headers.forEach(
        (name, values) -> {
          checkHeaderText("header name", name);
          if (name.isEmpty()) {
            throw new IllegalArgumentException("header name must not be empty");
          }
          Objects.requireNonNull(values, "values of header " + name);
          for (String v : values) {
            checkHeaderText("value of header " + name, v);
          }
          copy.put(name, List.copyOf(values));
        });
    return java.util.Collections.unmodifiableMap(copy);
  }

  /** {@code headers} plus {@code name: value} (added after existing values of {@code name}). */
  static Map<String, List<String>> withHeader(
      Map<String, List<String>> headers, String name, String value) {
    Map<String, List<String>> copy = new LinkedHashMap<>(headers);
    List<String> values = new ArrayList<>(copy.getOrDefault(name, List.of()));
    values.add(value);
    copy.put(name, values);
    return copyHeaders(copy);
  }

  private static void checkHeaderText(String what, String s) {
    Objects.requireNonNull(s, what);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\r' || c == '\n' || c == 0) {
        throw new IllegalArgumentException(what + " must not contain CR, LF or NUL: " + s);
      }
    }
  }
}
