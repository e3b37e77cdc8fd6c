package io.servicekit;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A read-only view of the HTTP request that asks for an upgrade, as seen by {@link
 * WsHandler#accept(Request)} and later by the connection ({@link WsSession#request()}). Header
 * names are case-insensitive.
 */
public interface Request {
  /** The HTTP method, e.g. {@code GET}. */
  String method();

  /** {@code http} or {@code https} (as seen by the server, before any proxy). */
  String scheme();

  /** The {@code Host} header value (host and optional port), or an empty string. */
  String host();

  /** The decoded request path, without the query. */
  String path();

  /** The first value of header {@code name}. */
  Optional<String> header(String name);

  /** Every value of header {@code name}, in order; empty if absent. */
  List<String> headers(String name);

  /** The first value of query parameter {@code name}. */
  Optional<String> queryParam(String name);

  /** All query parameters. */
  Map<String, List<String>> queryParams();

  /** Path parameters captured by the route template, e.g. {@code room} in {@code /ws/{room}}. */
  Map<String, String> pathParams();

  /** The path parameter {@code name}. */
  default Optional<String> pathParam(String name) {
    return Optional.ofNullable(pathParams().get(name));
  }

  /** The {@code Origin} header, sent by browsers. */
  default Optional<String> origin() {
    return header("Origin");
  }

  /** The subprotocols the client offered in {@code Sec-WebSocket-Protocol}, in order. */
  List<String> subprotocols();

  /** The address of the peer (the socket's, not a proxy header's). */
  InetSocketAddress remoteAddress();
}
