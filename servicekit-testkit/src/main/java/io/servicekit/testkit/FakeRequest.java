package io.servicekit.testkit;

import io.servicekit.Request;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link Request} built by hand, to unit-test a handler's {@code validate} or an origin policy
 * without HTTP.
 *
 * <pre>{@code
 * Request request = FakeRequest.builder()
 *     .path("/ws/chat").query("room", "lobby").header("Origin", "https://app.example.com")
 *     .build();
 * WsListener<Object, Object> listener = new ChatService().accept(request);
 * }</pre>
 *
 * <p>Defaults: {@code GET http://localhost/}, no headers, peer {@code 127.0.0.1:40000}.
 */
public final class FakeRequest implements Request {
  private final String method;
  private final String scheme;
  private final String host;
  private final String path;
  private final Map<String, List<String>> headers; // lower-case names
  private final Map<String, List<String>> query;
  private final Map<String, String> pathParams;
  private final InetSocketAddress remoteAddress;

  private FakeRequest(Builder b) {
    this.method = b.method;
    this.scheme = b.scheme;
    this.host = b.host;
    this.path = b.path;
    this.headers = copy(b.headers);
    this.query = copy(b.query);
    this.pathParams = Map.copyOf(b.pathParams);
    this.remoteAddress = b.remoteAddress;
  }

  private static Map<String, List<String>> copy(Map<String, List<String>> m) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, List.copyOf(v)));
    return java.util.Collections.unmodifiableMap(out);
  }

  /** A builder with the defaults above. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String scheme() {
    return scheme;
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public Optional<String> header(String name) {
    return headers(name).stream().findFirst();
  }

  @Override
  public List<String> headers(String name) {
    return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
  }

  @Override
  public Optional<String> queryParam(String name) {
    return query.getOrDefault(name, List.of()).stream().findFirst();
  }

  @Override
  public Map<String, List<String>> queryParams() {
    return query;
  }

  @Override
  public Map<String, String> pathParams() {
    return pathParams;
  }

  @Override
  public List<String> subprotocols() {
    List<String> out = new ArrayList<>();
    for (String value : headers("Sec-WebSocket-Protocol")) {
      for (String p : value.split(",")) {
        if (!p.isBlank()) {
          out.add(p.strip());
        }
      }
    }
    return out;
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return remoteAddress;
  }

  @Override
  public String toString() {
    return method + " " + scheme + "://" + host + path + (query.isEmpty() ? "" : "?" + query);
  }

  /** Builds {@link FakeRequest}s. */
  public static final class Builder {
    private String method = "GET";
    private String scheme = "http";
    private String host = "localhost";
    private String path = "/";
    private final Map<String, List<String>> headers = new LinkedHashMap<>();
    private final Map<String, List<String>> query = new LinkedHashMap<>();
    private final Map<String, String> pathParams = new LinkedHashMap<>();
    private InetSocketAddress remoteAddress = new InetSocketAddress("127.0.0.1", 40000);

    private Builder() {}

    public Builder method(String v) {
      method = Objects.requireNonNull(v, "method");
      return this;
    }

    public Builder scheme(String v) {
      scheme = Objects.requireNonNull(v, "scheme");
      return this;
    }

    /** The {@code Host} header's value (also returned by {@code header("Host")}). */
    public Builder host(String v) {
      host = Objects.requireNonNull(v, "host");
      headers.put("host", List.of(v));
      return this;
    }

    /** The decoded path, starting with {@code /}. */
    public Builder path(String v) {
      if (v == null || !v.startsWith("/")) {
        throw new IllegalArgumentException("path must start with /, got " + v);
      }
      path = v;
      return this;
    }

    /** Adds a value of header {@code name} (case-insensitive). */
    public Builder header(String name, String value) {
      headers
          .computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Adds a value of query parameter {@code name}. */
    public Builder query(String name, String value) {
      query
          .computeIfAbsent(Objects.requireNonNull(name, "name"), k -> new ArrayList<>())
          .add(Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Sets path parameter {@code name}, as a route template would capture it. */
    public Builder pathParam(String name, String value) {
      pathParams.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder remoteAddress(InetSocketAddress v) {
      remoteAddress = Objects.requireNonNull(v, "remoteAddress");
      return this;
    }

    public FakeRequest build() {
      return new FakeRequest(this);
    }
  }
}
