package io.servicekit;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A minimal {@link HandshakeRequest} for unit tests. */
record StubRequest(String host, Map<String, String> headers) implements HandshakeRequest {
  static StubRequest of(String host) {
    return new StubRequest(host, Map.of());
  }

  static StubRequest withOrigin(String host, String origin) {
    return new StubRequest(host, Map.of("origin", origin));
  }

  @Override
  public String method() {
    return "GET";
  }

  @Override
  public String scheme() {
    return "http";
  }

  @Override
  public String path() {
    return "/";
  }

  @Override
  public Optional<String> header(String name) {
    return Optional.ofNullable(headers.get(name.toLowerCase()));
  }

  @Override
  public List<String> headers(String name) {
    return header(name).map(List::of).orElse(List.of());
  }

  @Override
  public Optional<String> queryParam(String name) {
    return Optional.empty();
  }

  @Override
  public Map<String, List<String>> queryParams() {
    return Map.of();
  }

  @Override
  public Map<String, String> pathParams() {
    return Map.of();
  }

  @Override
  public List<String> subprotocols() {
    return List.of();
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return InetSocketAddress.createUnresolved("test", 1);
  }
}
