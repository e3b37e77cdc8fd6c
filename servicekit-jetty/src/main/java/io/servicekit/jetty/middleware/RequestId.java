package io.servicekit.jetty.middleware;

import io.servicekit.middleware.RequestIds;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.slf4j.MDC;

/**
 * Gives every request an id: a valid incoming {@code X-Request-Id} is kept, anything else replaced
 * by 32 random hex characters ({@link RequestIds}; upstream kept any value: W-82). The id is set on
 * the response before the handler runs, stored in the request attribute {@link #ATTRIBUTE} ({@link
 * #of(Request)}), and put in the SLF4J {@link MDC} under {@code request_id} while the handler runs
 * on the request's thread, so log lines carry it. A WebSocket's handshake request (and so {@code
 * WsSession.request().header("X-Request-Id")} if the client sent one) keeps it.
 */
public final class RequestId implements Middleware {
  /** Request attribute holding the id (a String). */
  public static final String ATTRIBUTE = "io.servicekit.requestId";

  /** MDC key. */
  public static final String MDC_KEY = "request_id";

  private RequestId() {}

  /** The middleware. */
  public static RequestId create() {
    return new RequestId();
  }

  /** The id of {@code request}, or "" if no {@code RequestId} ran. */
  public static String of(Request request) {
    return request.getAttribute(ATTRIBUTE) instanceof String id ? id : "";
  }

  @Override
  public Handler wrap(Handler next) {
    return Wrappers.around(
        next,
        (request, response, callback, chain) -> {
          String id = RequestIds.keepOrGenerate(request.getHeaders().get(RequestIds.HEADER));
          request.setAttribute(ATTRIBUTE, id);
          response.getHeaders().put(RequestIds.HEADER, id);
          String previous = MDC.get(MDC_KEY);
          MDC.put(MDC_KEY, id);
          try {
            return chain.handle(request, response, callback);
          } finally {
            if (previous == null) {
              MDC.remove(MDC_KEY);
            } else {
              MDC.put(MDC_KEY, previous);
            }
          }
        });
  }
}
