package io.servicekit.netty.internal;

import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseHandler;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The WebSocket and SSE routes of a server: exact paths ({@code /echo}) and URI templates whose
 * {@code {name}} segments capture one non-empty path segment each ({@code /rooms/{room}}). An exact
 * path wins over a template; among templates the one with more literal segments wins, then the
 * first added. Paths are matched segment by segment after percent-decoding each segment (a {@code
 * %2F} inside a segment is a character of that segment, not a separator). Immutable once built.
 */
public final class Routes {
  private static final Pattern PARAM = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");

  /** What a route serves. */
  public sealed interface Kind permits Ws, Sse {}

  /** A WebSocket route. */
  public record Ws(WsHandler<?, ?> handler, WsConfig config) implements Kind {}

  /** A Server-Sent Events route. */
  public record Sse(SseHandler<?> handler, SseConfig config) implements Kind {}

  /** One endpoint. */
  public record Endpoint(String pattern, Kind kind) {}

  /** The endpoint a path matched, with the template's parameters (empty for an exact path). */
  public record Match(Endpoint endpoint, Map<String, String> pathParams) {}

  private record Template(Endpoint endpoint, String[] segments, int literals) {
    /** The captured parameters if {@code decoded} (the path's decoded segments) fits, or null. */
    @Nullable Map<String, String> params(String[] decoded) {
      if (segments.length != decoded.length) {
        return null;
      }
      Map<String, String> params = new HashMap<>();
      for (int i = 0; i < segments.length; i++) {
        String p = segments[i];
        if (p.startsWith("{")) {
          if (decoded[i].isEmpty()) {
            return null;
          }
          params.put(p.substring(1, p.length() - 1), decoded[i]);
        } else if (!p.equals(decoded[i])) {
          return null;
        }
      }
      return Map.copyOf(params);
    }
  }

  private final Map<String, Endpoint> exact;
  private final List<Template> templates;

  private Routes(Map<String, Endpoint> exact, List<Template> templates) {
    this.exact = exact;
    this.templates = templates;
  }

  /** Collects routes; {@link #add} checks each pattern at once. */
  public static final class Builder {
    private final Map<String, Endpoint> exact = new LinkedHashMap<>();
    private final List<Template> templates = new ArrayList<>();
    private final Set<String> shapes = new HashSet<>();

    /**
     * Adds {@code pattern}.
     *
     * @throws IllegalArgumentException if the pattern is malformed or already routed, naming it
     */
    public Builder add(String pattern, WsHandler<?, ?> handler, WsConfig config) {
      return add(
          pattern,
          new Ws(
              Objects.requireNonNull(handler, "handler"),
              Objects.requireNonNull(config, "config")));
    }

    /**
     * Adds an SSE route at {@code pattern}.
     *
     * @throws IllegalArgumentException if the pattern is malformed or already routed, naming it
     */
    public Builder add(String pattern, SseHandler<?> handler, SseConfig config) {
      return add(
          pattern,
          new Sse(
              Objects.requireNonNull(handler, "handler"),
              Objects.requireNonNull(config, "config")));
    }

    private Builder add(String pattern, Kind kind) {
      Objects.requireNonNull(pattern, "path");
      Endpoint endpoint = new Endpoint(pattern, kind);
      if (!pattern.startsWith("/")) {
        throw new IllegalArgumentException("path must start with '/': " + pattern);
      }
      if (pattern.contains("?") || pattern.contains("#")) {
        throw new IllegalArgumentException("path must not contain '?' or '#': " + pattern);
      }
      if (!pattern.contains("{") && !pattern.contains("}")) {
        if (exact.putIfAbsent(pattern, endpoint) != null) {
          throw new IllegalArgumentException("path routed twice: " + pattern);
        }
        return this;
      }
      String[] segments = pattern.substring(1).split("/", -1);
      Set<String> names = new HashSet<>();
      int literals = 0;
      StringBuilder shape = new StringBuilder();
      for (String segment : segments) {
        var m = PARAM.matcher(segment);
        if (m.matches()) {
          if (!names.add(m.group(1))) {
            throw new IllegalArgumentException(
                "path parameter {" + m.group(1) + "} used twice in " + pattern);
          }
          shape.append("/{}");
        } else if (segment.contains("{") || segment.contains("}")) {
          throw new IllegalArgumentException(
              "a path parameter must be a whole segment named [A-Za-z_][A-Za-z0-9_]*, was '"
                  + segment
                  + "' in "
                  + pattern);
        } else {
          literals++;
          shape.append('/').append(segment);
        }
      }
      if (!shapes.add(shape.toString())) {
        throw new IllegalArgumentException(
            "path routed twice (same template shape " + shape + "): " + pattern);
      }
      templates.add(new Template(endpoint, segments, literals));
      return this;
    }

    /** The routes added so far. */
    public Routes build() {
      List<Template> sorted = new ArrayList<>(templates);
      // stable: equal literal counts keep the order they were added in
      sorted.sort(Comparator.comparingInt((Template t) -> t.literals).reversed());
      return new Routes(Map.copyOf(exact), List.copyOf(sorted));
    }
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Every route pattern, exact ones first. */
  public List<String> patterns() {
    List<String> all = new ArrayList<>(exact.keySet());
    templates.forEach(t -> all.add(t.endpoint.pattern()));
    return all;
  }

  /**
   * The route for {@code rawPath} (the request target's path, still percent-encoded), or null.
   *
   * @throws IllegalArgumentException if the path is not validly percent-encoded UTF-8
   */
  public @Nullable Match match(String rawPath) {
    String[] raw = rawPath.startsWith("/") ? rawPath.substring(1).split("/", -1) : null;
    if (raw == null) {
      return null;
    }
    String[] decoded = new String[raw.length];
    StringBuilder whole = new StringBuilder();
    for (int i = 0; i < raw.length; i++) {
      decoded[i] = decodeSegment(raw[i]);
      whole.append('/').append(decoded[i]);
    }
    Endpoint e = exact.get(whole.toString());
    if (e != null) {
      return new Match(e, Map.of());
    }
    for (Template t : templates) {
      Map<String, String> params = t.params(decoded);
      if (params != null) {
        return new Match(t.endpoint, params);
      }
    }
    return null;
  }

  /** The decoded path: each segment decoded, joined with '/'. */
  public static String decodePath(String rawPath) {
    String[] raw = rawPath.split("/", -1);
    StringBuilder whole = new StringBuilder();
    for (int i = 0; i < raw.length; i++) {
      if (i > 0) {
        whole.append('/');
      }
      whole.append(decodeSegment(raw[i]));
    }
    return whole.toString();
  }

  private static String decodeSegment(String segment) {
    if (segment.indexOf('%') < 0) {
      return segment;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (c == '%') {
        if (i + 2 >= segment.length()) {
          throw new IllegalArgumentException("truncated percent-escape in path segment");
        }
        int hi = Character.digit(segment.charAt(i + 1), 16);
        int lo = Character.digit(segment.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("malformed percent-escape in path segment");
        }
        bytes.write(hi << 4 | lo);
        i += 2;
      } else if (c < 0x80) {
        bytes.write(c);
      } else {
        byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(utf8, 0, utf8.length);
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("path segment is not UTF-8 after percent-decoding", e);
    }
  }
}
