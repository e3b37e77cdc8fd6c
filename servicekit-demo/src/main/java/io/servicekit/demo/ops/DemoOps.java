package io.servicekit.demo.ops;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.servicekit.OriginPolicy;
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
import io.servicekit.jetty.middleware.SseMetrics;
import io.servicekit.middleware.ClientIpResolver;
import io.servicekit.middleware.RateLimitConfig;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The demo's production wiring in one place, for {@code DemoServer} to call:
 *
 * <pre>{@code
 * DemoOps ops = DemoOps.fromEnvironment();
 * ServiceKitServer server = ops.apply(ServiceKitServer.builder().port(port))
 *     .ws("/echo", ...)          // every route but /healthz and /metrics goes through the guard
 *     .route("/events", ...)
 *     .build();
 * ops.shutdown(server).onShutdown(sseHub::closeAll).run();   // blocks until SIGTERM / SIGINT
 * }</pre>
 *
 * Settings come from the environment: {@code ALLOWED_ORIGINS} (comma-separated origin patterns,
 * default {@code localhost}), {@code TRUSTED_PROXIES} (CIDRs whose {@code X-Forwarded-For} is
 * believed, default none), {@code DRAIN_TIMEOUT_SECONDS} (default 30), {@code RATE_LIMIT_PER_IP}
 * (requests and upgrades per second per client IP, burst twice that, default 20; the Go library's
 * 5/s with a burst of 3 would refuse the demo page's own four connections on load), {@code
 * CONN_LIMIT_PER_IP} (concurrent requests, streams and WebSockets per client IP, default 100, on
 * every route but {@code /healthz}, {@code /metrics} and {@code /mcp}, {@code /echo} included),
 * {@code MAX_CONNECTIONS} (the same for all clients together, default 1000), {@code BIND} (the
 * interface to listen on, default {@code 127.0.0.1}: the demo is for this machine; {@code 0.0.0.0}
 * or {@code ::} for every interface, which also turns off the loopback {@code Host} check).
 */
public final class DemoOps {
  /** Paths left outside the guard: probes and scrapes skip limits and logging. */
  public static final List<String> UNGUARDED = List.of("/healthz", "/metrics");

  /** The interface the demo listens on when {@code BIND} is not set. */
  public static final String DEFAULT_BIND = "127.0.0.1";

  private final String bind;
  private final Integer tlsPort; // null: no TLS
  private final DemoTls.Cert tls; // null: no TLS
  private final OriginPolicy origins;
  private final ClientIpResolver clientIps;
  private final Duration drainTimeout;
  private final RateLimitConfig rateLimit;

  /** Concurrent connections for all clients together when {@code MAX_CONNECTIONS} is not set. */
  public static final int DEFAULT_MAX_CONNECTIONS = 1000;

  private final ConnLimiter connLimit;
  private final ConnLimiter connLimitPerIp;
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final MicrometerMetrics metrics =
      new MicrometerMetrics(registry).bindJvmAndProcessMetrics();

  private DemoOps(
      String bind,
      Integer tlsPort,
      DemoTls.Cert tls,
      OriginPolicy origins,
      ClientIpResolver clientIps,
      Duration drainTimeout,
      RateLimitConfig rateLimit,
      int connLimitPerIp,
      int maxConnections) {
    this.connLimit = ConnLimiter.of(maxConnections);
    this.connLimitPerIp = ConnLimiter.perAddress(connLimitPerIp);
    this.bind = bind;
    this.tlsPort = tlsPort;
    this.tls = tls;
    this.origins = origins;
    this.clientIps = clientIps;
    this.drainTimeout = drainTimeout;
    this.rateLimit = rateLimit;
  }

  /** Settings from the environment, with the defaults above. */
  public static DemoOps fromEnvironment() {
    return from(System.getenv());
  }

  /** Settings from {@code env} (the names above). */
  public static DemoOps from(Map<String, String> env) {
    OriginPolicy origins =
        OriginPolicy.of(List.of(env.getOrDefault("ALLOWED_ORIGINS", "localhost").split(",")));
    String proxies = env.getOrDefault("TRUSTED_PROXIES", "");
    ClientIpResolver ips =
        proxies.isBlank()
            ? ClientIpResolver.direct()
            : ClientIpResolver.trusting(Arrays.asList(proxies.split(",")));
    long drain = number(env, "DRAIN_TIMEOUT_SECONDS", 30);
    long perIp = number(env, "RATE_LIMIT_PER_IP", 20);
    RateLimitConfig rate =
        RateLimitConfig.builder()
            .globalPerSec(50.0 * perIp)
            .globalBurst((int) (100 * perIp))
            .perKeyPerSec(perIp)
            .perKeyBurst((int) (2 * perIp))
            .build();
    long perIpConns = number(env, "CONN_LIMIT_PER_IP", 100);
    String bind = bind(env.getOrDefault("BIND", DEFAULT_BIND));
    String tlsPortValue = env.get("TLS_PORT");
    Integer tlsPort = null;
    DemoTls.Cert tls = null;
    if (tlsPortValue != null && !tlsPortValue.isBlank()) {
      tlsPort = port("TLS_PORT", tlsPortValue);
      tls = DemoTls.config(env.get("TLS_CERT"), env.get("TLS_KEY"), bind);
    } else if (env.containsKey("TLS_CERT") || env.containsKey("TLS_KEY")) {
      throw new IllegalArgumentException("TLS_CERT and TLS_KEY need TLS_PORT (the HTTPS port)");
    }
    return new DemoOps(
        bind,
        tlsPort,
        tls,
        origins,
        ips,
        Duration.ofSeconds(drain),
        rate,
        (int) Math.min(perIpConns, 1_000_000),
        (int) Math.min(number(env, "MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS), 10_000_000));
  }

  /**
   * A {@code BIND} value: an IPv4 or IPv6 literal or a host name (letters, digits, dots, hyphens).
   *
   * @throws IllegalArgumentException naming the rule and the value
   */
  static String bind(String value) {
    String v = value.strip();
    if (!(isIpv4(v) || isIpv6(v) || isHostName(v))) {
      throw new IllegalArgumentException(
          "BIND must be an IP address or a host name (e.g. 127.0.0.1, ::1, 0.0.0.0), got \""
              + value
              + "\"");
    }
    return v;
  }

  private static boolean isIpv4(String v) {
    if (!v.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
      return false;
    }
    return Arrays.stream(v.split("\\.")).allMatch(p -> Integer.parseInt(p) <= 255);
  }

  private static boolean isIpv6(String v) {
    if (!v.matches("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
      return false;
    }
    try {
      return java.net.InetAddress.getByName(v)
          instanceof java.net.Inet6Address; // a literal: no DNS
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private static boolean isHostName(String v) {
    return v.length() <= 253
        && v.matches(
            "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")
        && !v.matches("[0-9.]+"); // digits and dots only: an IPv4 address or nothing
  }

  private static int port(String name, String value) {
    String v = value.strip();
    if (!v.matches("[0-9]{1,5}") || Integer.parseInt(v) > 65535) {
      throw new IllegalArgumentException(
          name + " must be a decimal number from 0 to 65535, got \"" + value + "\"");
    }
    return Integer.parseInt(v);
  }

  /** The HTTPS port ({@code TLS_PORT}), if TLS is on. */
  public java.util.OptionalInt tlsPort() {
    return tlsPort == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(tlsPort);
  }

  /** Where the TLS certificate comes from, for the start-up log line. */
  public String tlsSource() {
    return tls == null ? "no TLS" : tls.description();
  }

  /** The interface to listen on ({@code BIND}). */
  public String bind() {
    return bind;
  }

  private static long number(Map<String, String> env, String name, long fallback) {
    String v = env.getOrDefault(name, String.valueOf(fallback)).trim();
    try {
      long n = Long.parseLong(v);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        name + " must be a positive whole number, got \"" + v + "\"");
  }

  /** The origins browsers may use (also for {@code WsConfig.originPolicy}). */
  public OriginPolicy origins() {
    return origins;
  }

  /**
   * The demo's guard, outermost first: client IP, request id, request log, recovery, CORS, origin
   * check, 1 MiB body limit, rate limit ({@code RATE_LIMIT_PER_IP} per client IP, 50 times that for
   * all clients), {@code MAX_CONNECTIONS} concurrent connections ({@code CONN_LIMIT_PER_IP} per
   * client IP), SSE metrics. The connection limiters are this object's, shared with {@link
   * #connectionLimits()}.
   */
  public Guard guard() {
    return Guard.of(
        ClientIpExtractor.of(clientIps),
        RequestId.create(),
        RequestLogger.skipping(UNGUARDED.toArray(String[]::new)),
        Recovery.create(),
        Cors.allowing(origins),
        OriginChecker.of(origins),
        BodyLimiter.of(1 << 20),
        RateLimiter.of(rateLimit),
        connLimit,
        connLimitPerIp,
        SseMetrics.reportingTo(metrics));
  }

  /**
   * Only the guard's connection limits (client IP, then the same {@code MAX_CONNECTIONS} and {@code
   * CONN_LIMIT_PER_IP} limiters, so the counts are shared): for routes that stay outside the guard
   * for origin and rate reasons ({@code /echo}) but must not let one address take every slot.
   * Refusals are the guard's 503.
   */
  public Guard connectionLimits() {
    return Guard.of(ClientIpExtractor.of(clientIps), connLimit, connLimitPerIp);
  }

  /** The per-client-IP connection limiter ({@code CONN_LIMIT_PER_IP}). */
  public ConnLimiter connLimitPerIp() {
    return connLimitPerIp;
  }

  /**
   * The Micrometer listener (WebSocket and SSE metrics by route pattern, registered at zero when
   * the server is built) with the JVM and process binders bound.
   */
  public MicrometerMetrics metrics() {
    return metrics;
  }

  /** The Prometheus registry behind {@link #metrics()}. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** {@code GET /metrics}: the registry in Prometheus text format. */
  public Handler metricsEndpoint() {
    return new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        if (!HttpMethod.GET.is(request.getMethod())) {
          response.setStatus(405);
          response.getHeaders().put(HttpHeader.ALLOW, "GET");
          callback.succeeded();
          return true;
        }
        response.setStatus(200);
        response
            .getHeaders()
            .put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        response.write(
            true, ByteBuffer.wrap(registry.scrape().getBytes(StandardCharsets.UTF_8)), callback);
        return true;
      }
    };
  }

  /**
   * Binds {@code builder} to {@link #bind()} (and, with {@code TLS_PORT}, adds HTTPS on that port)
   * and adds the guard (all routes but {@link #UNGUARDED} and {@code alsoUnguarded}), metrics,
   * {@code /healthz} and {@code /metrics}.
   */
  public ServiceKitServer.Builder apply(ServiceKitServer.Builder builder, String... alsoUnguarded) {
    HealthCheck health = HealthCheck.liveness();
    List<String> unguarded = new ArrayList<>(UNGUARDED);
    unguarded.addAll(List.of(alsoUnguarded));
    if (tls != null) {
      builder
          .tls(tls.config())
          .tlsPort(tlsPort); // HTTP/2 through ALPN, WebSocket over HTTP/2 (RFC 8441)
    }
    return builder
        .host(bind)
        .guard(guard(), unguarded.toArray(String[]::new))
        .metrics(metrics)
        .route(health.path(), health)
        .route("/metrics", metricsEndpoint());
  }

  /** Graceful shutdown on SIGTERM/SIGINT with the configured drain timeout. */
  public GracefulShutdown shutdown(ServiceKitServer server) {
    return GracefulShutdown.of(server).drainTimeout(drainTimeout);
  }
}
