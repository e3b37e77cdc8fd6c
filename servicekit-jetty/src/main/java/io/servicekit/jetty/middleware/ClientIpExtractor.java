package io.servicekit.jetty.middleware;

import io.servicekit.middleware.ClientIpResolver;
import java.util.List;
import java.util.Objects;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;

/**
 * Resolves the client IP ({@link ClientIpResolver}: socket address by default, {@code
 * X-Forwarded-For} only from trusted proxies, read from the right) and stores it in the request
 * attribute {@link #ATTRIBUTE}, where {@link RateLimiter}, {@link RequestLogger} and handlers find
 * it with {@link #clientIp(Request)}. Put it early in the {@link Guard}.
 */
public final class ClientIpExtractor implements Middleware {
  /** Request attribute holding the resolved client IP (a String). */
  public static final String ATTRIBUTE = "io.servicekit.clientIp";

  private final ClientIpResolver resolver;

  private ClientIpExtractor(ClientIpResolver resolver) {
    this.resolver = Objects.requireNonNull(resolver, "resolver");
  }

  /** Trusts no proxy: the socket address is the client. */
  public static ClientIpExtractor direct() {
    return new ClientIpExtractor(ClientIpResolver.direct());
  }

  /** Trusts proxies in {@code cidrs}; see {@link ClientIpResolver#trusting(List)}. */
  public static ClientIpExtractor trusting(String... cidrs) {
    return new ClientIpExtractor(ClientIpResolver.trusting(cidrs));
  }

  /** Uses {@code resolver}. */
  public static ClientIpExtractor of(ClientIpResolver resolver) {
    return new ClientIpExtractor(resolver);
  }

  /** Resolves the client IP of {@code request} with this extractor's trusted proxies. */
  public String extract(Request request) {
    return resolver.resolve(
        peer(request),
        request.getHeaders().getValuesList("X-Forwarded-For"),
        request.getHeaders().get("X-Real-IP"));
  }

  /**
   * The client IP stored by a {@code ClientIpExtractor} earlier in the chain, else the socket
   * peer's address (never a header: without an extractor no proxy is trusted).
   */
  public static String clientIp(Request request) {
    return request.getAttribute(ATTRIBUTE) instanceof String ip ? ip : peer(request);
  }

  private static String peer(Request request) {
    String addr = Request.getRemoteAddr(request);
    return addr == null ? "" : addr;
  }

  @Override
  public Handler wrap(Handler next) {
    return Wrappers.around(
        next,
        (request, response, callback, chain) -> {
          request.setAttribute(ATTRIBUTE, extract(request));
          return chain.handle(request, response, callback);
        });
  }
}
