package io.servicekit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Which browser origins may reach an endpoint: the one origin matcher of ServiceKit, used by {@link
 * WsConfig#originPolicy()}, the Jetty middleware ({@code OriginChecker}, {@code Cors}) and the MCP
 * endpoint's Host/Origin check. Immutable and thread-safe; patterns are parsed once, when the
 * policy is built, and a bad pattern is an {@link IllegalArgumentException} naming it and the rule.
 *
 * <p>An {@code Origin} header value is matched as an RFC 6454 serialized origin, {@code
 * scheme://host[:port]}: scheme and host compare case-insensitively; a default port ({@code http}
 * and {@code ws} 80, {@code https} and {@code wss} 443) is the same as no port; an IPv6 host is in
 * brackets; a host in punycode ({@code xn--}) is compared as written. Anything else is refused by
 * every policy: a path (even a lone trailing {@code /}), a query, a fragment, user info, an empty
 * value, a list of several origins, a value longer than {@value #MAX_ORIGIN_LENGTH} characters. The
 * opaque origin {@code null} (sandboxed frames, {@code file:} pages) is refused unless the policy
 * lists the entry {@code null}.
 *
 * <table>
 *   <caption>Pattern forms</caption>
 *   <tr><th>entry</th><th>matches</th></tr>
 *   <tr><td>{@code https://app.example.com}, {@code http://example.com:8080}</td>
 *       <td>exactly that origin ({@code https://app.example.com:443} is the same entry)</td></tr>
 *   <tr><td>{@code https://*.example.com[:port]}</td><td>one or more labels before {@code
 *       example.com}, that scheme and port; <em>not</em> {@code https://example.com} itself</td></tr>
 *   <tr><td>{@code localhost}</td><td>{@code http} or {@code https} on {@code localhost},
 *       {@code 127.0.0.1} or {@code [::1]}, any port (local development)</td></tr>
 *   <tr><td>{@code null}</td><td>the opaque origin {@code null}</td></tr>
 *   <tr><td>{@code *}</td><td>every well-formed origin except {@code null} ({@link
 *       #allowAll()})</td></tr>
 * </table>
 *
 * A pattern without a scheme ({@code example.com}, {@code *.example.com}) is refused: write the
 * scheme, so that {@code http} is never allowed by accident. Requests without an {@code Origin}
 * header come from non-browser clients and pass {@link #check}: a browser always sends one on a
 * WebSocket handshake and on cross-site requests.
 */
public final class OriginPolicy {
  /** Longest {@code Origin} value looked at; longer ones are refused without parsing. */
  public static final int MAX_ORIGIN_LENGTH = 512;

  private static final String RULE =
      " (an origin pattern is scheme://host[:port], scheme://*.domain[:port], localhost, null"
          + " or *)";
  private static final String LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
  private static final String NAME = LABEL + "(?:\\." + LABEL + ")*";
  private static final String IPV6 = "\\[[0-9a-f]*:[0-9a-f:.]*\\]";
  private static final String PORT =
      "(?:0|[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";
  private static final String SCHEME = "[a-z][a-z0-9+.-]*";
  private static final Pattern ORIGIN =
      Pattern.compile(
          "(" + SCHEME + ")://(" + NAME + "|" + IPV6 + ")(?::(" + PORT + "))?",
          Pattern.CASE_INSENSITIVE);
  private static final String LENGTH = "(?=.{1," + MAX_ORIGIN_LENGTH + "}$)";
  private static final List<String> LOOPBACK = List.of("localhost", "127.0.0.1", "[::1]");

  private sealed interface Entry {
    boolean matches(Origin o);

    /**
     * A Java regex (for Jetty's {@code CrossOriginHandler}) matching what {@link #matches} does.
     */
    String regex();
  }

  private record Localhost() implements Entry {
    @Override
    public boolean matches(Origin o) {
      return o != Origin.NULL
          && (o.scheme.equals("http") || o.scheme.equals("https"))
          && LOOPBACK.contains(o.host);
    }

    @Override
    public String regex() {
      return "(?i)https?://(?:localhost|127\\.0\\.0\\.1|\\[::1\\])(?::" + PORT + ")?";
    }
  }

  private record NullOrigin() implements Entry {
    @Override
    public boolean matches(Origin o) {
      return o == Origin.NULL;
    }

    @Override
    public String regex() {
      return "(?-i)null";
    }
  }

  private record AnyOrigin() implements Entry {
    @Override
    public boolean matches(Origin o) {
      return o != Origin.NULL;
    }

    @Override
    public String regex() {
      return "(?i)" + LENGTH + ORIGIN.pattern();
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
      return o.scheme.equals(scheme) && o.port == port && o.host.endsWith("." + domain);
    }

    @Override
    public String regex() {
      return "(?i)"
          + LENGTH
          + Pattern.quote(scheme + "://")
          + "(?:"
          + LABEL
          + "\\.)+"
          + Pattern.quote(domain)
          + portRegex(scheme, port);
    }
  }

  /** A parsed serialized origin: lower case, port defaulted (-1 when the scheme has none). */
  private record Origin(String scheme, String host, int port) {
    static final Origin NULL = new Origin("", "", -1);
  }

  private final List<Entry> entries;
  private final boolean sameOrigin;
  private final List<String> source;

  private OriginPolicy(List<Entry> entries, boolean sameOrigin, List<String> source) {
    this.entries = entries;
    this.sameOrigin = sameOrigin;
    this.source = source;
  }

  /** Only the origin of the request's {@code Host} header (the default of {@link WsConfig}). */
  public static OriginPolicy sameOrigin() {
    return new OriginPolicy(List.of(), true, List.of());
  }

  /**
   * The origin of the request's {@code Host} header, or one of {@code patterns} (see the class
   * comment); with no pattern, the same as {@link #sameOrigin()}.
   *
   * @throws IllegalArgumentException naming the first pattern that is not an origin pattern
   */
  public static OriginPolicy sameOriginOr(String... patterns) {
    return parse(List.of(patterns), true);
  }

  /**
   * Only {@code patterns} (see the class comment); blank entries are skipped.
   *
   * @throws IllegalArgumentException naming the first pattern that is not an origin pattern, or
   *     when no pattern is left (use {@link #allowAll()} to allow every origin)
   */
  public static OriginPolicy of(String... patterns) {
    return of(List.of(patterns));
  }

  /** Only {@code patterns}; see {@link #of(String...)}. */
  public static OriginPolicy of(List<String> patterns) {
    return parse(patterns, false);
  }

  /**
   * Every well-formed origin except {@code null} (the pattern {@code *}). Only for endpoints meant
   * to be reached from any site; {@code of("*", "null")} also allows the opaque origin.
   */
  public static OriginPolicy allowAll() {
    return of("*");
  }

  /** Only local development origins: the single pattern {@code localhost}. */
  public static OriginPolicy localhost() {
    return of("localhost");
  }

  private static OriginPolicy parse(List<String> patterns, boolean sameOrigin) {
    List<Entry> entries = new ArrayList<>();
    List<String> source = new ArrayList<>();
    for (String raw : Objects.requireNonNull(patterns, "patterns")) {
      if (raw == null || raw.isBlank()) {
        continue;
      }
      String p = raw.trim();
      Entry e = parseEntry(p);
      if (!entries.contains(e)) {
        entries.add(e);
      }
      source.add(p);
    }
    if (entries.isEmpty() && !sameOrigin) {
      throw new IllegalArgumentException(
          "no origin patterns given: list origins such as https://app.example.com, or use"
              + " OriginPolicy.allowAll() to allow every origin");
    }
    return new OriginPolicy(List.copyOf(entries), sameOrigin, List.copyOf(source));
  }

  private static Entry parseEntry(String p) {
    String lower = p.toLowerCase(Locale.ROOT);
    Entry keyword =
        switch (lower) {
          case "*" -> new AnyOrigin();
          case "localhost" -> new Localhost();
          case "null" -> new NullOrigin();
          default -> null;
        };
    if (keyword != null) {
      return keyword;
    }
    int sep = lower.indexOf("://");
    if (sep < 0) {
      throw refused(p, "no scheme; write it, e.g. https://" + lower);
    }
    String rest = lower.substring(sep + 3);
    int slash = rest.indexOf('/');
    if (slash >= 0) {
      throw refused(p, "an origin has no path, not even a trailing '/'");
    }
    boolean wildcard = rest.startsWith("*.");
    String hostPort = wildcard ? rest.substring(2) : rest;
    if (hostPort.contains("*")) {
      throw refused(p, "'*' is allowed only as the whole first label, as in https://*.example.com");
    }
    Origin o = parseOrigin(lower.substring(0, sep + 3) + hostPort);
    if (o == null || o == Origin.NULL) {
      throw refused(p, "not scheme://host[:port] with a valid host and port 0-65535");
    }
    if (!wildcard) {
      return new Exact(o.scheme, o.host, o.port);
    }
    if (o.host.startsWith("[") || o.host.matches("[0-9.]+") || !o.host.contains(".")) {
      throw refused(p, "a wildcard needs a domain of two or more labels, not an IP or a TLD");
    }
    return new Wildcard(o.scheme, o.host, o.port);
  }

  private static IllegalArgumentException refused(String pattern, String why) {
    return new IllegalArgumentException("origin pattern '" + pattern + "' refused: " + why + RULE);
  }

  /**
   * Parses an {@code Origin} value: {@link Origin#NULL} for {@code null}, else scheme://host[:port]
   * or nothing (null) for anything malformed.
   */
  private static @Nullable Origin parseOrigin(@Nullable String value) {
    if (value == null) {
      return null;
    }
    String v = value.strip(); // optional white space around a header value
    if (v.isEmpty() || v.length() > MAX_ORIGIN_LENGTH) {
      return null;
    }
    if (v.equals("null")) {
      return Origin.NULL;
    }
    Matcher m = ORIGIN.matcher(v);
    if (!m.matches()) {
      return null;
    }
    String scheme = m.group(1).toLowerCase(Locale.ROOT);
    String host = m.group(2).toLowerCase(Locale.ROOT);
    int port = m.group(3) == null ? defaultPort(scheme) : Integer.parseInt(m.group(3));
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
    if (port == -1) {
      return "";
    }
    return port == defaultPort(scheme) ? "(?::" + port + ")?" : ":" + port;
  }

  /**
   * Whether {@code origin} (an {@code Origin} header value) matches one of the listed patterns; the
   * same-origin rule is not applied, as there is no {@code Host} to compare with (see {@link
   * #allows(String, String)}). False for null, malformed values and, unless listed, {@code null}.
   */
  public boolean matches(@Nullable String origin) {
    Origin o = parseOrigin(origin);
    if (o == null) {
      return false;
    }
    for (Entry e : entries) {
      if (e.matches(o)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@code origin} may reach a request whose {@code Host} header is {@code host}: a listed
   * pattern matches, or the policy allows the same origin and {@link #isSameOrigin} holds.
   */
  public boolean allows(@Nullable String origin, @Nullable String host) {
    return matches(origin) || (sameOrigin && isSameOrigin(origin, host));
  }

  /** Whether {@code origin} may open {@code request}; see {@link #allows(String, String)}. */
  public boolean allows(String origin, Request request) {
    return allows(origin, request.host());
  }

  /** Whether the request passes: true without an {@code Origin} header, else {@link #allows}. */
  public boolean check(Request request) {
    return request.origin().map(o -> allows(o, request)).orElse(true);
  }

  /**
   * DNS-rebinding protection for a server meant for local use: with an {@code Origin}, as {@link
   * #allows(String, String)}; without one, only a request whose {@code Host} is {@code localhost},
   * {@code 127.0.0.1} or {@code [::1]} (any port, a bare {@code ::1} too) passes, and a request
   * without a {@code Host} passes.
   */
  public boolean checkRequest(@Nullable String origin, @Nullable String host) {
    if (origin != null && !origin.isEmpty()) {
      return allows(origin, host);
    }
    if (allowsAny() || host == null || host.isBlank()) {
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
   * Whether {@code origin} names the host and port of {@code host} (a {@code Host} header value);
   * the port the origin leaves out is its scheme's default, on both sides. False for {@code null}
   * and malformed origins and for an empty {@code host}.
   */
  public static boolean isSameOrigin(@Nullable String origin, @Nullable String host) {
    Origin o = parseOrigin(origin);
    if (o == null || o == Origin.NULL || host == null || host.isBlank()) {
      return false;
    }
    String h = host.strip().toLowerCase(Locale.ROOT);
    String hostName = h;
    int hostPort = o.port;
    int colon = h.lastIndexOf(':');
    if (colon > 0 && colon > h.lastIndexOf(']')) {
      hostName = h.substring(0, colon);
      String digits = h.substring(colon + 1);
      if (!digits.matches(PORT)) {
        return false;
      }
      hostPort = Integer.parseInt(digits);
    } else if (o.port != defaultPort(o.scheme)) {
      return false; // Host without a port means the default port of the scheme
    }
    return o.host.equals(hostName) && o.port == hostPort;
  }

  /** Whether the pattern {@code *} is listed (every well-formed origin but {@code null}). */
  public boolean allowsAny() {
    return entries.stream().anyMatch(e -> e instanceof AnyOrigin);
  }

  /** Whether the origin of the request's {@code Host} is allowed besides the patterns. */
  public boolean allowsSameOrigin() {
    return sameOrigin;
  }

  /** The patterns as given (trimmed; blank ones left out). */
  public List<String> patterns() {
    return source;
  }

  /**
   * Java regular expressions matching exactly what {@link #matches} does, one per pattern, for
   * handlers that take regex allow-lists (Jetty's {@code CrossOriginHandler}). The same-origin rule
   * has no regex form.
   */
  public List<String> toRegexes() {
    return entries.stream().map(Entry::regex).toList();
  }

  @Override
  public String toString() {
    return "OriginPolicy" + (sameOrigin ? "[same origin]" : "") + source;
  }
}
