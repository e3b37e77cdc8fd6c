package io.servicekit.netty.internal;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.servicekit.internal.RequestSnapshot;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Map.Entry;
import org.jspecify.annotations.Nullable;

/**
 * Copies the upgrade request into a {@link RequestSnapshot}: Netty releases the request once it is
 * handled, while a connection keeps its request for life.
 */
public final class NettyRequest {
  private NettyRequest() {}

  /**
   * Snapshots {@code request}.
   *
   * @param rawPath the request target's path (percent-encoded)
   * @param pathParams what the route template captured
   * @throws IllegalArgumentException if the path or query is not validly encoded
   */
  public static RequestSnapshot of(
      HttpRequest request,
      String rawPath,
      Map<String, String> pathParams,
      @Nullable SocketAddress remoteAddress) {
    String path = Routes.decodePath(rawPath);
    Map<String, List<String>> h = new LinkedHashMap<>();
    for (Entry<String, String> field : request.headers()) {
      h.computeIfAbsent(field.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>(1))
          .add(field.getValue());
    }
    String hostHeader = RequestSnapshot.first(h, "host");
    Map<String, List<String>> q = new LinkedHashMap<>();
    new QueryStringDecoder(request.uri(), StandardCharsets.UTF_8)
        .parameters()
        .forEach((k, v) -> q.put(k, List.copyOf(v)));
    return new RequestSnapshot(
        request.method().name(),
        "http",
        hostHeader == null ? "" : hostHeader,
        path,
        h,
        q,
        pathParams,
        tokens(h.get("sec-websocket-protocol")),
        RequestSnapshot.inet(remoteAddress));
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
}
