package io.servicekit.sse;

import io.servicekit.Request;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** A hand-made request for driving the SSE driver without a server. */
record TestRequest(String path, Map<String, List<String>> headerMap) implements Request {
  static TestRequest get(String path) {
    return new TestRequest(path, new LinkedHashMap<>());
  }

  TestRequest with(String name, String value) {
    Map<String, List<String>> h = new LinkedHashMap<>(headerMap);
    h.merge(
        name.toLowerCase(Locale.ROOT),
        List.of(value),
        (a, b) -> {
          List<String> all = new java.util.ArrayList<>(a);
          all.addAll(b);
          return all;
        });
    return new TestRequest(path, h);
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
  public String host() {
    return "localhost";
  }

  @Override
  public Optional<String> header(String name) {
    return headers(name).stream().findFirst();
  }

  @Override
  public List<String> headers(String name) {
    return headerMap.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
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
    return InetSocketAddress.createUnresolved("127.0.0.1", 1);
  }
}
