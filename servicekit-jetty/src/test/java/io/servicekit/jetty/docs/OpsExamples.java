package io.servicekit.jetty.docs;

import io.micrometer.core.instrument.MeterRegistry;
import io.servicekit.Codec;
import io.servicekit.JsonCodec;
import io.servicekit.OriginPolicy;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.jetty.GracefulShutdown;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.metrics.MicrometerMetrics;
import io.servicekit.jetty.middleware.BodyLimiter;
import io.servicekit.jetty.middleware.ClientIpExtractor;
import io.servicekit.jetty.middleware.ConnLimiter;
import io.servicekit.jetty.middleware.Cors;
import io.servicekit.jetty.middleware.Guard;
import io.servicekit.jetty.middleware.HealthCheck;
import io.servicekit.jetty.middleware.OriginChecker;
import io.servicekit.jetty.middleware.RateLimiter;
import io.servicekit.jetty.middleware.Recovery;
import io.servicekit.jetty.middleware.RequestId;
import io.servicekit.jetty.middleware.RequestLogger;
import io.servicekit.jetty.middleware.RequireContentType;
import io.servicekit.jetty.middleware.SseMetrics;
import io.servicekit.middleware.RateLimitConfig;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.eclipse.jetty.server.Handler;

/**
 * The code examples of docs/middleware.md and docs/operations.md. Each region between {@code //
 * [name]} and {@code // [/name]} is quoted verbatim in the docs ({@link DocsExamplesTest} checks
 * that) and run by the tests.
 */
final class OpsExamples {
  private OpsExamples() {}

  /** An echo connection for the examples. */
  static final class EchoConn implements WsListener<Object, Object> {
    @Override
    public Codec<Object, Object> codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "JsonConn";
    }

    @Override
    public void onMessage(WsSession<Object> session, Object message) {
      session.send(message);
    }
  }

  static ServiceKitServer quickStart(int port, Handler sseHandler, Handler apiHandler) {
    // [quick-start]
    Guard guard =
        Guard.of(
            RequestId.create(),
            RequestLogger.skipping("/healthz"),
            Cors.allowing(OriginPolicy.of("https://*.example.com")),
            BodyLimiter.of(1 << 20), // 1 MiB
            RateLimiter.of(RateLimitConfig.perKey(10, 0)),
            ConnLimiter.of(1000),
            Recovery.create());

    HealthCheck health = HealthCheck.liveness();
    ServiceKitServer server =
        ServiceKitServer.builder()
            .port(port)
            .route(health.path(), health) // probes skip the guard
            .ws("/ws/echo", request -> new EchoConn())
            .route("/events", sseHandler)
            .route("/api/*", apiHandler)
            .guard(guard, health.path()) // every other route goes through the guard
            .build();
    // [/quick-start]
    return server;
  }

  static Guard behindProxies() {
    // [proxies]
    Guard guard =
        Guard.of(
            ClientIpExtractor.trusting("10.0.0.0/8", "fd00::/8"), // your load balancers only
            RateLimiter.of(RateLimitConfig.defaults()), // keyed by the resolved client IP
            RequestLogger.skipping()); // logs ip=<client>, not the proxy
    // [/proxies]
    return guard;
  }

  static ServiceKitServer browserFacing(int port) {
    // [origins]
    OriginPolicy origins = OriginPolicy.of("https://app.example.com", "https://*.example.org");
    ServiceKitServer server =
        ServiceKitServer.builder()
            .port(port)
            .ws(
                "/ws/chat",
                request -> new EchoConn(),
                WsConfig.builder().originPolicy(origins).build())
            .route("/api/*", RequireContentType.of("application/json").wrap(new ApiHandler()))
            .guard(
                Guard.of(
                    Cors.allowing(origins)
                        .allowMethods("GET", "POST", "DELETE")
                        .exposeHeaders("X-Request-Id")
                        .allowCredentials()
                        .maxAge(Duration.ofMinutes(10)),
                    OriginChecker.of(origins)))
            .build();
    // [/origins]
    return server;
  }

  static GracefulShutdown.Report runGracefully(
      ServiceKitServer server, Runnable sseCloseAll, CompletionStage<?> stop) throws Exception {
    // [graceful]
    GracefulShutdown.Report report =
        GracefulShutdown.of(server)
            .drainTimeout(Duration.ofSeconds(10)) // default 30 s
            .onShutdown(sseCloseAll) // e.g. sseHub::closeAll: final event, streams still open
            .cancelOn(stop) // optional: a parent "context"; SIGTERM and SIGINT always count
            .run(); // blocks; throws IncompleteShutdownException if it had to cut anything
    // [/graceful]
    return report;
  }

  static ServiceKitServer withMetrics(int port, MeterRegistry registry, Handler sseHandler) {
    // [metrics]
    MicrometerMetrics metrics = new MicrometerMetrics(registry);
    ServiceKitServer server =
        ServiceKitServer.builder()
            .port(port)
            .ws("/rooms/{room}", request -> new EchoConn())
            .route("/events", sseHandler)
            .metrics(metrics) // WebSocket meters, tagged route="/rooms/{room}"
            .guard(SseMetrics.reportingTo(metrics)) // SSE streams, tagged route="/events"
            .build();
    // [/metrics]
    return server;
  }

  /** A stand-in API handler. */
  static final class ApiHandler extends Handler.Abstract {
    @Override
    public boolean handle(
        org.eclipse.jetty.server.Request request,
        org.eclipse.jetty.server.Response response,
        org.eclipse.jetty.util.Callback callback) {
      response.setStatus(200);
      callback.succeeded();
      return true;
    }
  }
}
