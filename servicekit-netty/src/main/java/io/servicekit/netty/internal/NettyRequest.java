package io.servicekit.netty.internal;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.servicekit.Request;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Map.Entry;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * An immutable snapshot of the upgrade request: Netty releases the request once it is handled,
 * while a connection keeps its request for life.
 */
public final class NettyRequest implements Request {
  private final String method;
  private final String path;
  private final String host;
  private final Map<String, List<String>> headers; // lower-case names
  private final Map<String, List<String>> query;
  private final Map<String, String> pathParams;
  private final List<String> subprotocols;
  private final InetSocketAddress remote;

  /**
   * Snapshots {@code request}.
   *
   * @param rawPath the request target's path (percent-encoded)
   * @param pathParams what the route template captured
   * @throws IllegalArgumentException if the path or query is not validly encoded
   */
  public NettyRequest(
      HttpRequest request,
      String rawPath,
      Map<String, String> pathParams,
      @Nullable SocketAddress remoteAddress) {
    this.method = request.method().name();
    this.path = Routes.decodePath(rawPath);
    Map<String, List<String>> h = new LinkedHashMap<>();
    for (Entry<String, String> field : request.headers()) {
      h.computeIfAbsent(field.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>(1))
          .add(field.getValue());
    }
    this.headers = h;
    String hostHeader = first(h, "host");
    this.host = hostHeader == null ? "" : hostHeader;
    Map<String, List<String>> q = new LinkedHashMap<>();
    new QueryStringDecoder(request.uri(), StandardCharsets.UTF_8)
        .parameters()
        .forEach((k, v) -> q.put(k, List.copyOf(v)));
    this.query = q;
    this.pathParams = Map.copyOf(pathParams);
    this.subprotocols = List.copyOf(tokens(h.get("sec-websocket-protocol")));
    this.remote =
        remoteAddress instanceof InetSocketAddress isa
            ? isa
            : InetSocketAddress.createUnresolved(String.valueOf(remoteAddress), 0);
  }

  /** The comma-separated tokens of {@code values}, trimmed, blank ones left out, in order. */
  public static List<String> tokens(@Nullable List<String> values) {
    List<String> tokens = new ArrayList<>();
    if (values != null) {
      for (String value : values) {
        for (String token : value.split(",")) {
          if (!token.isBlank()) {
            tokens.add(token.trim());
          }
        }
      }
    }
    return tokens;
  }

  private static @Nullable String first(Map<String, List<String>> h, String name) {
    List<String> values = h.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String scheme() {
    return "http";
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
