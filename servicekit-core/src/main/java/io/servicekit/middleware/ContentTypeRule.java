package io.servicekit.middleware;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which {@code Content-Type}s a request body may have. Media types are compared properly: the type
 * and subtype case-insensitively, parameters ({@code ; charset=utf-8}) ignored, {@code type/*}
 * allowed as a pattern. So {@code Application/JSON; charset=utf-8} is {@code application/json}, and
 * {@code application/jsonx} is not (the Go library compared string prefixes: W-84). Only methods
 * that carry a body are checked: POST, PUT, PATCH.
 */
public final class ContentTypeRule {
  private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");

  private final List<String> accepted;
  private final String message;

  private ContentTypeRule(List<String> accepted, List<String> source) {
    this.accepted = accepted;
    this.message = "Content-Type must be one of: " + String.join(", ", source);
  }

  /**
   * A rule accepting {@code mediaTypes} such as {@code application/json} or {@code text/*}.
   *
   * @throws IllegalArgumentException for an empty list (it would refuse every body; upstream did so
   *     silently: W-84) or an entry that is not {@code type/subtype}
   */
  public static ContentTypeRule accepting(String... mediaTypes) {
    if (mediaTypes.length == 0) {
      throw new IllegalArgumentException(
          "RequireContentType needs at least one media type, e.g. application/json");
    }
    List<String> normalized = new ArrayList<>();
    for (String m : mediaTypes) {
      String n = essence(m);
      if (n == null) {
        throw new IllegalArgumentException(
            "media type must be type/subtype, e.g. application/json: '" + m + "'");
      }
      normalized.add(n);
    }
    return new ContentTypeRule(List.copyOf(normalized), List.of(mediaTypes));
  }

  /** Whether requests with {@code method} are checked (POST, PUT, PATCH). */
  public boolean applies(String method) {
    return BODY_METHODS.contains(method.toUpperCase(Locale.ROOT));
  }

  /** Whether {@code contentType} (a header value, possibly null) is accepted. */
  public boolean accepts(@Nullable String contentType) {
    String e = essence(contentType);
    if (e == null) {
      return false;
    }
    for (String a : accepted) {
      if (a.equals(e) || (a.endsWith("/*") && e.startsWith(a.substring(0, a.length() - 1)))) {
        return true;
      }
    }
    return false;
  }

  /** The 415 body, as upstream: {@code Content-Type must be one of: a, b}. */
  public String message() {
    return message;
  }

  /** {@code type/subtype} in lower case, or null if {@code value} is not a media type. */
  static @Nullable String essence(@Nullable String value) {
    if (value == null) {
      return null;
    }
    int semi = value.indexOf(';');
    String t = (semi < 0 ? value : value.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    int slash = t.indexOf('/');
    if (slash <= 0 || slash == t.length() - 1 || t.indexOf('/', slash + 1) >= 0) {
      return null;
    }
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c <= ' ' || c == '"' || c == ',' || c == '(' || c == ')') {
        return null;
      }
    }
    return t;
  }
}
