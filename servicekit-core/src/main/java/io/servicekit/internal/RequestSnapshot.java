package io.servicekit.internal;

import io.servicekit.Request;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * An immutable {@link Request}: what a binding copies out of its server's request object, which the
 * server recycles after the upgrade while a connection keeps its request for life. Each binding
 * extracts the fields its own way (Jetty's {@code JettyRequest}, Netty's {@code NettyRequest}); the
 * answers are given here once.
 */
public final class RequestSnapshot implements Request {
  private final String method;
  private final String scheme;
  private final String host;
  private final String path;
  private final Map<String, List<String>> headers; // lower-case names
  private final Map<String, List<String>> query;
  private final Map<String, String> pathParams;
  private final List<String> subprotocols;
  private final InetSocketAddress remote;

  /**
   * @param headers the request's headers by lower-case name, in order (kept as given: pass a map
   *     nobody changes afterwards)
   * @param query the query parameters (likewise)
   * @param path the decoded path
   */
  public RequestSnapshot(
      String method,
      String scheme,
      String host,
      String path,
      Map<String, List<String>> headers,
      Map<String, List<String>> query,
      Map<String, String> pathParams,
      List<String> subprotocols,
      InetSocketAddress remote) {
    this.method = method;
    this.scheme = scheme;
    this.host = host;
    this.path = path;
    this.headers = headers;
    this.query = query;
    this.pathParams = Map.copyOf(pathParams);
    this.subprotocols = List.copyOf(subprotocols);
    this.remote = remote;
  }

  /** The first value of {@code name} (lower case) in {@code headers}, or null. */
  public static @Nullable String first(Map<String, List<String>> headers, String name) {
    List<String> values = headers.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** {@code address} as an {@link InetSocketAddress} (an unresolved one if it is another kind). */
  public static InetSocketAddress inet(@Nullable SocketAddress address) {
    return address instanceof InetSocketAddress isa
        ? isa
        : InetSocketAddress.createUnresolved(String.valueOf(address), 0);
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
    return Optional.ofNullable(first(headers, name.toLowerCase(Locale.ROOT)));
  }

  @Override
  public List<String> headers(String name) {
    return List.copyOf(headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of()));
  }

  @Override
  public Optional<String> queryParam(String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  @Override
  public Map<String, List<String>> queryParams() {
    return Map.copyOf(query);
  }

  @Override
  public Map<String, String> pathParams() {
    return pathParams;
  }

  @Override
  public List<String> subprotocols() {
    return subprotocols;
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return remote;
  }

  @Override
  public String toString() {
    return method + " " + path;
  }
}
