package io.servicekit.jetty.middleware;

import java.util.Set;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Logs one structured SLF4J record per request when its response completes: message {@code HTTP
 * request}, key-values {@code component=http}, {@code method}, {@code path}, {@code status}, {@code
 * duration_ms}, {@code ip} ({@link ClientIpExtractor#clientIp}) and {@code request_id} when a
 * {@link RequestId} ran. Failed responses log at warn with the failure.
 *
 * <p>It observes completion through the request's callback and never wraps or buffers the response,
 * so WebSocket upgrades (logged with status 101 when the upgrade is done), SSE and other streams
 * (logged when they end) keep working; the Go library's logger broke all three (W-75).
 */
public final class RequestLogger implements Middleware {
  private static final Logger LOG = LoggerFactory.getLogger(RequestLogger.class);

  private final Set<String> skip;
  private final Logger log;

  private RequestLogger(Set<String> skip, Logger log) {
    this.skip = skip;
    this.log = log;
  }

  /** A logger skipping requests whose path is one of {@code paths} (e.g. {@code /healthz}). */
  public static RequestLogger skipping(String... paths) {
    return new RequestLogger(Set.of(paths), LOG);
  }

  /** This logger writing to {@code logger} instead of this class's. */
  public RequestLogger to(Logger logger) {
    return new RequestLogger(skip, logger);
  }

  @Override
  public Handler wrap(Handler next) {
    return Wrappers.around(
        next,
        (request, response, callback, chain) -> {
          String path = request.getHttpURI().getPath();
          if (skip.contains(path)) {
            return chain.handle(request, response, callback);
          }
          long start = System.nanoTime();
          Callback logged =
              Callbacks.before(
                  callback,
                  failure -> {
                    LoggingEventBuilder event = failure == null ? log.atInfo() : log.atWarn();
                    event =
                        event
                            .setMessage("HTTP request")
                            .addKeyValue("component", "http")
                            .addKeyValue("method", request.getMethod())
                            .addKeyValue("path", path)
                            .addKeyValue("status", response.getStatus())
                            .addKeyValue("duration_ms", (System.nanoTime() - start) / 1_000_000)
                            .addKeyValue("ip", ClientIpExtractor.clientIp(request));
                    String id = RequestId.of(request);
                    if (!id.isEmpty()) {
                      event = event.addKeyValue("request_id", id);
                    }
                    if (failure != null) {
                      event = event.setCause(failure);
                    }
                    event.log();
                  });
          return chain.handle(request, response, logged);
        });
  }
}
