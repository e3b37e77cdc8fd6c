package io.servicekit.middleware;

import io.servicekit.HandshakeRequest;
import io.servicekit.OriginPolicy;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An allow-list of browser origins, written as in the Go library (upstream §7.9) but matched
 * strictly: scheme, host and port all count, host names are case-insensitive, and default ports may
 * be written or left out ({@code https://a.com:443} is {@code https://a.com}).
 *
 * <table>
 *   <caption>Pattern forms</caption>
 *   <tr><th>entry</th><th>matches</th></tr>
 *   <tr><td>{@code *}</td><td>every origin ({@link #any()})</td></tr>
 *   <tr><td>{@code localhost}</td><td>{@code http} or {@code https} on {@code localhost},
 *       {@code 127.0.0.1} or {@code [::1]}, any port (local development)</td></tr>
 *   <tr><td>{@code example.com}</td><td>{@code https://example.com} (no scheme means
 *       https, as upstream)</td></tr>
 *   <tr><td>{@code http://example.com:8080}</td><td>exactly that origin</td></tr>
 *   <tr><td>{@code *.example.com}, {@code https://*.example.com}</td><td>any subdomain of
 *       {@code example.com} <em>and</em> {@code example.com} itself (apex matching is kept from
 *       upstream on purpose), with that scheme and port</td></tr>
 * </table>
 *
 * Differences from the Go library, all deliberate (W-78): it ignored scheme and port, compared host
 * names case-sensitively, and silently never matched {@code https://*.example.com}. An empty list
 * is an error here rather than "allow all": ask for {@link #any()}. Immutable and thread-safe.
 */
public final class OriginPatterns {
  private static final Pattern HOST =
      Pattern.compile("[a-z0-9]([a-z0-9.-]*[a-z0-9])?|\\[[0-9a-f:.]+\\]");

  private sealed interface Entry {
    boolean matches(Origin o);

    String regex();
  }

  private record Localhost() implements Entry {
    @Override
    public boolean matches(Origin o) {
      return (o.scheme.equals("http") || o.scheme.equals("https"))
          && (o.host.equals("localhost") || o.host.equals("127.0.0.1") || o.host.equals("[::1]"));
    }

    @Override
    public String regex() {
      return "(?i)https?://(localhost|127\\.0\\.0\\.1|\\[::1\\])(:[0-9]+)?";
    }
  }

  private record Exact(String scheme, String host, int port) implements Entry {
    @Override
    public boolean matches(Origin o) {
      return o.scheme.equals(scheme) && o.host.equals(host) && o.port == port;
    }

    @Override
    public String regex() {
      return "(?i)" + Pattern.quote(scheme + "://" + host) + portRegex(scheme, port);
    }
  }

  private record Wildcard(String scheme, String domain, int port) implements Entry {
    @Override
    public boolean matches(Origin o) {
      return o.scheme.equals(scheme)
          && o.port == port
          && (o.host.equals(domain) || o.host.endsWith("." + domain));
    }

    @Override
    public String regex() {
      return "(?i)"
          + Pattern.quote(scheme + "://")
          + "([a-z0-9-]+\\.)*"
          + Pattern.quote(domain)
          + portRegex(scheme, port);
    }
  }

  private record Origin(String scheme, String host, int port) {}

  private final List<Entry> entries;
  private final boolean any;
  private final List<String> source;

  private OriginPatterns(List<Entry> entries, boolean any, List<String> source) {
    this.entries = entries;
    this.any = any;
    this.source = source;
  }

  /** Every origin is allowed (the Go library's nil checker). */
  public static OriginPatterns any() {
    return new OriginPatterns(List.of(), true, List.of("*"));
  }

  /** Only local development origins: the single pattern {@code localhost}. */
  public static OriginPatterns localhost() {
    return of("localhost");
  }

  /** Patterns from varargs; see {@link #of(List)}. */
  public static OriginPatterns of(String... patterns) {
    return of(List.of(patterns));
  }

  /**
   * Parses {@code patterns}; blank entries are skipped; an entry {@code *} allows all.
   *
   * @throws IllegalArgumentException naming the entry, for an entry that is not an origin pattern,
   *     or when no usable entry is left (use {@link #any()} to allow every origin)
   */
  public static OriginPatterns of(List<String> patterns) {
    List<Entry> entries = new ArrayList<>();
    List<String> source = new ArrayList<>();
    for (String raw : patterns) {
      if (raw == null || raw.isBlank()) {
        continue;
      }
      String p = raw.trim();
      if (p.equals("*")) {
        return any();
      }
      entries.add(parseEntry(p));
      source.add(p);
    }
    if (entries.isEmpty()) {
      throw new IllegalArgumentException(
          "no origin patterns given: list origins such as https://app.example.com, or use"
              + " OriginPatterns.any() to allow every origin");
    }
    return new OriginPatterns(List.copyOf(entries), false, List.copyOf(source));
  }

  /** Whether every origin is allowed. */
  public boolean allowsAny() {
    return any;
  }

  /** The patterns as given. */
  public List<String> patterns() {
    return source;
  }

  /** Whether {@code origin} (an {@code Origin} header value) is allowed; empty/null → false. */
  public boolean matches(String origin) {
    if (any) {
      return true;
    }
    Origin o = parseOrigin(origin);
    return o != null && entries.stream().anyMatch(e -> e.matches(o));
  }

  /**
   * DNS-rebinding protection for a server meant for local use (upstream {@code CheckRequest}): with
   * an {@code Origin}, as {@link #matches}; without one, only a request whose {@code Host} is
   * {@code localhost}, {@code 127.0.0.1} or {@code [::1]} (any port) passes, and a request without
   * a {@code Host} passes. (Upstream mis-parsed a bare {@code ::1}: W-78.)
   */
  public boolean checkRequest(String origin, String host) {
    if (origin != null && !origin.isEmpty()) {
      return matches(origin);
    }
    if (any || host == null || host.isBlank()) {
      return true;
    }
    String h = host.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      h = h.substring(1, Math.max(1, h.indexOf(']')));
    } else if (h.indexOf(':') == h.lastIndexOf(':') && h.indexOf(':') > 0) {
      h = h.substring(0, h.indexOf(':'));
    }
    return h.equals("localhost") || h.equals("127.0.0.1") || h.equals("::1");
  }

  /**
   * Java regular expressions equivalent to {@link #matches}, one per pattern, for handlers that
   * take regex allow-lists (Jetty's {@code CrossOriginHandler}); {@code ["*"]} for {@link #any()}.
   */
  public List<String> toRegexes() {
    return any ? List.of("*") : entries.stream().map(Entry::regex).toList();
  }

  /**
   * This allow-list as a WebSocket {@link OriginPolicy}: requests without {@code Origin} pass (as
   * every {@code OriginPolicy}), others must match.
   */
  public OriginPolicy asOriginPolicy() {
    return (String origin, HandshakeRequest request) -> matches(origin);
  }

  @Override
  public String toString() {
    return "OriginPatterns" + source;
  }

  private static Entry parseEntry(String p) {
    String lower = p.toLowerCase(Locale.ROOT);
    if (lower.equals("localhost")) {
      return new Localhost();
    }
    String withScheme = lower.contains("://") ? lower : "https://" + lower;
    int sep = withScheme.indexOf("://");
    String scheme = withScheme.substring(0, sep);
    String rest = withScheme.substring(sep + 3);
    if (rest.endsWith("/")) {
      rest = rest.substring(0, rest.length() - 1);
    }
    boolean wildcard = rest.startsWith("*.");
    String hostPort = wildcard ? rest.substring(2) : rest;
    Origin o = parseOrigin(scheme + "://" + hostPort);
    if (!scheme.matches("[a-z][a-z0-9+.-]*")
        || o == null
        || hostPort.contains("*")
        || hostPort.contains("/")) {
      throw new IllegalArgumentException(
          "origin pattern must be localhost, host, *.domain or scheme://[*.]host[:port]: '"
              + p
              + "'");
    }
    return wildcard ? new Wildcard(o.scheme, o.host, o.port) : new Exact(o.scheme, o.host, o.port);
  }

  private static Origin parseOrigin(String origin) {
    if (origin == null || origin.isBlank()) {
      return null;
    }
    URI uri;
    try {
      uri = new URI(origin.trim());
    } catch (Exception e) {
      return null;
    }
    String scheme = uri.getScheme();
    String host = uri.getHost();
    if (scheme == null || host == null) {
      return null;
    }
    scheme = scheme.toLowerCase(Locale.ROOT);
    host = host.toLowerCase(Locale.ROOT);
    if (!HOST.matcher(host).matches()) {
      return null;
    }
    int port = uri.getPort() >= 0 ? uri.getPort() : defaultPort(scheme);
    return new Origin(scheme, host, port);
  }

  private static int defaultPort(String scheme) {
    return switch (scheme) {
      case "https", "wss" -> 443;
      case "http", "ws" -> 80;
      default -> -1;
    };
  }

  private static String portRegex(String scheme, int port) {
    return port == defaultPort(scheme) ? "(:" + port + ")?" : ":" + port;
  }
}
