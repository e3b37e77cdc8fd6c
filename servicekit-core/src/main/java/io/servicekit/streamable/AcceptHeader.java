package io.servicekit.streamable;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A parsed HTTP {@code Accept} header (RFC 9110 §12.5.1): media ranges with parameters and quality
 * values, matched case-insensitively. Unlike the Go library's {@code ParseAcceptTypes}, {@code q=0}
 * means <em>not acceptable</em>, and {@code type/*} ranges count.
 *
 * <pre>{@code
 * AcceptHeader accept = AcceptHeader.parse("application/json, text/event-stream;q=0.5");
 * accept.acceptsJson();                  // true
 * accept.acceptsJsonAndEventStream();    // true
 * accept.quality("text/event-stream");   // 0.5
 * }</pre>
 *
 * <p>Matching: the most specific range that matches a media type decides its quality ({@code
 * type/subtype} with parameters the media type has, then {@code type/subtype}, then {@code type/*},
 * then {@code *}{@code /*}); a type is acceptable iff that quality is above 0. Parameters on the
 * asked media type are ignored unless a range names them.
 *
 * <p>Leniency, predictable: an absent or blank header ({@link #isPresent()} false) accepts
 * everything, as RFC 9110 says; elements that are not {@code type/subtype} (e.g. {@code json} or
 * {@code text/}) are skipped; a {@code q} that is not a number between 0 and 1 counts as 1; a
 * parameter without {@code =} is skipped. Parsing never throws.
 */
public final class AcceptHeader {
  /** One media range of the header. */
  public record MediaRange(String type, String subtype, Map<String, String> params, double q) {
    /** Whether this range covers {@code type/subtype} with {@code mediaParams}. */
    boolean matches(String t, String s, Map<String, String> mediaParams) {
      if (!type.equals("*") && !type.equals(t)) {
        return false;
      }
      if (!subtype.equals("*") && !subtype.equals(s)) {
        return false;
      }
      for (Map.Entry<String, String> p : params.entrySet()) {
        if (!p.getValue().equalsIgnoreCase(mediaParams.getOrDefault(p.getKey(), null))) {
          return false;
        }
      }
      return true;
    }

    /** Higher is more specific. */
    int specificity() {
      if (type.equals("*")) {
        return 0;
      }
      if (subtype.equals("*")) {
        return 1;
      }
      return 2 + params.size();
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder(type).append('/').append(subtype);
      params.forEach((k, v) -> b.append(';').append(k).append('=').append(v));
      return b.append(";q=").append(q).toString();
    }
  }

  /** The {@code application/json} media type. */
  public static final String JSON = "application/json";

  /** The {@code text/event-stream} media type. */
  public static final String EVENT_STREAM = "text/event-stream";

  private static final AcceptHeader ABSENT = new AcceptHeader(false, List.of());

  private final boolean present;
  private final List<MediaRange> ranges;

  private AcceptHeader(boolean present, List<MediaRange> ranges) {
    this.present = present;
    this.ranges = List.copyOf(ranges);
  }

  /** Parses {@code header} (null for an absent header). Never throws. */
  public static AcceptHeader parse(@Nullable String header) {
    if (header == null || header.isBlank()) {
      return ABSENT;
    }
    List<MediaRange> ranges = new ArrayList<>();
    for (String element : header.split(",")) {
      String[] parts = element.split(";");
      String range = parts[0].strip().toLowerCase(Locale.ROOT);
      int slash = range.indexOf('/');
      if (slash <= 0 || slash == range.length() - 1 || range.indexOf('/', slash + 1) >= 0) {
        continue;
      }
      String type = range.substring(0, slash).strip();
      String subtype = range.substring(slash + 1).strip();
      if (type.equals("*") && !subtype.equals("*")) {
        continue; // "*/json" is not a valid range
      }
      double q = 1.0;
      Map<String, String> params = new TreeMap<>();
      for (int i = 1; i < parts.length; i++) {
        String p = parts[i].strip();
        int eq = p.indexOf('=');
        if (eq <= 0) {
          continue;
        }
        String name = p.substring(0, eq).strip().toLowerCase(Locale.ROOT);
        String value = unquote(p.substring(eq + 1).strip());
        if (name.equals("q")) {
          q = parseQ(value);
          break; // parameters after q are accept-extensions, not media type parameters
        }
        params.put(name, value);
      }
      ranges.add(new MediaRange(type, subtype, Map.copyOf(params), q));
    }
    return new AcceptHeader(true, ranges);
  }

  private static String unquote(String v) {
    return v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")
        ? v.substring(1, v.length() - 1)
        : v;
  }

  private static double parseQ(String v) {
    try {
      double q = Double.parseDouble(v);
      return q >= 0 && q <= 1 ? q : 1.0;
    } catch (NumberFormatException e) {
      return 1.0;
    }
  }

  /** Whether the request had a non-blank {@code Accept} header. */
  public boolean isPresent() {
    return present;
  }

  /** The parsed media ranges, in header order (empty if absent). */
  public List<MediaRange> ranges() {
    return ranges;
  }

  /**
   * The quality (0 to 1) of {@code mediaType} (e.g. {@code text/event-stream} or {@code
   * application/json; charset=utf-8}): 1 if the header is absent, 0 if no range matches.
   *
   * @throws IllegalArgumentException if {@code mediaType} is not {@code type/subtype}
   */
  public double quality(String mediaType) {
    String[] parts = mediaType.split(";");
    String mt = parts[0].strip().toLowerCase(Locale.ROOT);
    int slash = mt.indexOf('/');
    if (slash <= 0 || slash == mt.length() - 1) {
      throw new IllegalArgumentException("media type must be type/subtype: " + mediaType);
    }
    if (!present) {
      return 1.0;
    }
    Map<String, String> params = new TreeMap<>();
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      if (eq > 0) {
        params.put(
            parts[i].substring(0, eq).strip().toLowerCase(Locale.ROOT),
            unquote(parts[i].substring(eq + 1).strip()));
      }
    }
    String type = mt.substring(0, slash);
    String subtype = mt.substring(slash + 1);
    MediaRange best = null;
    for (MediaRange r : ranges) {
      if (r.matches(type, subtype, params)
          && (best == null
              || r.specificity() > best.specificity()
              || (r.specificity() == best.specificity() && r.q() > best.q()))) {
        best = r;
      }
    }
    return best == null ? 0.0 : best.q();
  }

  /** Whether {@code mediaType} is acceptable (its {@link #quality} is above 0). */
  public boolean accepts(String mediaType) {
    return quality(mediaType) > 0;
  }

  /** Whether {@code application/json} is acceptable. */
  public boolean acceptsJson() {
    return accepts(JSON);
  }

  /** Whether {@code text/event-stream} is acceptable. */
  public boolean acceptsEventStream() {
    return accepts(EVENT_STREAM);
  }

  /**
   * Whether both {@code application/json} and {@code text/event-stream} are acceptable, as MCP's
   * Streamable HTTP requires of a POST.
   */
  public boolean acceptsJsonAndEventStream() {
    return acceptsJson() && acceptsEventStream();
  }

  @Override
  public String toString() {
    return present ? ranges.toString() : "(absent)";
  }
}
