package io.servicekit;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Decides whether a browser {@code Origin} may open a WebSocket (cross-site WebSocket hijacking
 * protection). Requests without an {@code Origin} header come from non-browser clients and always
 * pass: a browser always sends one on a WebSocket handshake.
 *
 * <p>The default, {@link #sameOrigin()}, accepts an origin whose host and port equal the request's
 * {@code Host} header. {@link #sameOriginOr(String...)} adds an allow-list of exact origins ({@code
 * https://app.example.com}) and wildcard patterns ({@code https://*.example.com}, which also
 * matches {@code https://example.com}). Accepting every origin must be asked for with {@link
 * #allowAll()}. A rejected origin is answered with 403 before the upgrade.
 */
@FunctionalInterface
public interface OriginPolicy {
  /** Whether {@code origin} (never null) may connect with {@code request}. */
  boolean allows(String origin, HandshakeRequest request);

  /** Whether the request passes: true without an {@code Origin}, else {@link #allows}. */
  default boolean check(HandshakeRequest request) {
    return request.origin().map(o -> allows(o, request)).orElse(true);
  }

  /** Same origin as the {@code Host} header only. */
  static OriginPolicy sameOrigin() {
    return (origin, request) -> isSameOrigin(origin, request.host());
  }

  /**
   * Same origin, or one of {@code allowed}: exact origins such as {@code https://app.example.com},
   * or patterns such as {@code https://*.example.com}. The entry {@code *} allows every origin.
   */
  static OriginPolicy sameOriginOr(String... allowed) {
    List<String> patterns = List.of(allowed);
    for (String p : patterns) {
      if (!p.equals("*") && !p.contains("://")) {
        throw new IllegalArgumentException(
            "allowed origin must be '*' or scheme://host[:port], e.g. https://app.example.com: "
                + p);
      }
    }
    if (patterns.contains("*")) {
      return allowAll();
    }
    return (origin, request) ->
        isSameOrigin(origin, request.host()) || patterns.stream().anyMatch(p -> matches(p, origin));
  }

  /** Every origin; the Go library's default. Only for endpoints meant to be cross-site. */
  static OriginPolicy allowAll() {
    return (origin, request) -> true;
  }

  /**
   * Whether {@code origin} names the same host and port as {@code host} (a {@code Host} header);
   * default ports (80 for http, 443 for https) may be written or left out on either side.
   */
  static boolean isSameOrigin(String origin, String host) {
    if (host == null || host.isEmpty()) {
      return false;
    }
    URI uri;
    try {
      uri = URI.create(origin.trim());
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (uri.getScheme() == null || uri.getHost() == null) {
      return false; // "null" origins (sandboxed frames, file:) and garbage
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    int defaultPort = scheme.equals("https") || scheme.equals("wss") ? 443 : 80;
    int originPort = uri.getPort() == -1 ? defaultPort : uri.getPort();
    String h = host.toLowerCase(Locale.ROOT);
    String hostName = h;
    int hostPort = defaultPort;
    int colon = h.lastIndexOf(':');
    if (colon > 0 && colon > h.lastIndexOf(']')) {
      hostName = h.substring(0, colon);
      try {
        hostPort = Integer.parseInt(h.substring(colon + 1));
      } catch (NumberFormatException e) {
        return false;
      }
    }
    return uri.getHost().toLowerCase(Locale.ROOT).equals(hostName) && originPort == hostPort;
  }

  /** Matches {@code origin} against an exact origin or a {@code scheme://*.domain} pattern. */
  static boolean matches(String pattern, String origin) {
    String p = pattern.toLowerCase(Locale.ROOT);
    String o = origin.trim().toLowerCase(Locale.ROOT);
    int wild = p.indexOf("://*.");
    if (wild < 0) {
      return p.equals(o);
    }
    String scheme = p.substring(0, wild + 3);
    String suffix = p.substring(wild + 5); // "example.com[:port]"
    if (!o.startsWith(scheme)) {
      return false;
    }
    String rest = o.substring(scheme.length());
    return rest.equals(suffix) || rest.endsWith("." + suffix);
  }
}
