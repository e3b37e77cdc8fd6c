package io.servicekit.streamable;

import io.servicekit.Request;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One request to a Streamable HTTP endpoint: the request line and headers (as a {@link Request}:
 * header names case-insensitive, multi-valued) plus the body, read fully before the handler runs
 * and bounded by {@link StreamableConfig#maxBodyBytes()}.
 *
 * <p>Immutable. {@link #of} builds one from any {@link Request} (bindings, tests).
 */
public interface StreamableRequest extends Request {
  /** The body bytes (a copy; empty if there was none). */
  byte[] body();

  /** The body decoded as UTF-8 (malformed sequences replaced). */
  default String bodyAsString() {
    return new String(body(), StandardCharsets.UTF_8);
  }

  /** The {@code Content-Type} header (first value) if present. */
  default Optional<String> contentType() {
    return header("Content-Type");
  }

  /**
   * The media type of {@link #contentType()} without parameters, lower-cased (e.g. {@code
   * application/json}), or empty.
   */
  default Optional<String> mediaType() {
    return contentType()
        .map(
            ct -> {
              int semi = ct.indexOf(';');
              return (semi < 0 ? ct : ct.substring(0, semi))
                  .strip()
                  .toLowerCase(java.util.Locale.ROOT);
            })
        .filter(s -> !s.isEmpty());
  }

  /** The parsed {@code Accept} header (every value, joined); see {@link AcceptHeader}. */
  default AcceptHeader accept() {
    List<String> values = headers("Accept");
    return AcceptHeader.parse(values.isEmpty() ? null : String.join(",", values));
  }

  /** A request made of {@code head} (request line, headers, peer) and {@code body} (copied). */
  static StreamableRequest of(Request head, byte[] body) {
    return new Buffered(head, body);
  }

  /** The plain implementation behind {@link #of}. */
  final class Buffered implements StreamableRequest {
    private final Request head;
    private final byte[] body;

    private Buffered(Request head, byte[] body) {
      this.head = Objects.requireNonNull(head, "head");
      this.body = Objects.requireNonNull(body, "body").clone();
    }

    @Override
    public byte[] body() {
      return body.clone();
    }

    @Override
    public String bodyAsString() {
      return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String method() {
      return head.method();
    }

    @Override
    public String scheme() {
      return head.scheme();
    }

    @Override
    public String host() {
      return head.host();
    }

    @Override
    public String path() {
      return head.path();
    }

    @Override
    public Optional<String> header(String name) {
      return head.header(name);
    }

    @Override
    public List<String> headers(String name) {
      return head.headers(name);
    }

    @Override
    public Optional<String> queryParam(String name) {
      return head.queryParam(name);
    }

    @Override
    public Map<String, List<String>> queryParams() {
      return head.queryParams();
    }

    @Override
    public Map<String, String> pathParams() {
      return head.pathParams();
    }

    @Override
    public List<String> subprotocols() {
      return head.subprotocols();
    }

    @Override
    public InetSocketAddress remoteAddress() {
      return head.remoteAddress();
    }

    @Override
    public String toString() {
      return head + " (" + body.length + " bytes)";
    }
  }
}
