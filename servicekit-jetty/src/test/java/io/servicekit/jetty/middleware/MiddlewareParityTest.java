package io.servicekit.jetty.middleware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.OriginPolicy;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.WsServe;
import io.servicekit.middleware.RateLimitConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.slf4j.event.Level;

/**
 * The Go library's middleware tests (upstream §13.12) over real HTTP, where the behaviour is kept,
 * and a test for each middleware defect fixed (§14.6), named after its W-number.
 */
class MiddlewareParityTest {
  private ServiceKitServer server;

  private int serve(Handler handler) throws Exception {
    server = ServiceKitServer.builder().port(0).route("/", handler).build().start();
    return server.port();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.stop();
    }
  }

  // ------------------------------------------------------------------ guard_test.go

  @Nested
  class GuardTests {
    @Test
    void chainOrder() throws Exception {
      List<String> order = new CopyOnWriteArrayList<>();
      Middleware mw1 = tracing("mw1", order);
      Middleware mw2 = tracing("mw2", order);
      Handler handler = Handlers.running(r -> order.add("handler"));
      int port = serve(Guard.of(mw1, mw2).wrap(handler));
      assertThat(Http.get(port, "/").status()).isEqualTo(200);
      await()
          .untilAsserted(
              () ->
                  assertThat(order)
                      .containsExactly(
                          "mw1-before", "mw2-before", "handler", "mw2-after", "mw1-after"));
    }

    @Test
    void emptyGuardAndNullMiddlewareLeaveTheHandler() throws Exception {
      Handler h = Handlers.ok();
      assertThat(Guard.of().wrap(h)).isSameAs(h);
      assertThat(Guard.of((Middleware) null).wrap(h)).isSameAs(h);
      List<String> order = new CopyOnWriteArrayList<>();
      Guard g = Guard.of(null, tracing("only", order), null);
      assertThat(g.middlewares()).hasSize(1);
      int port = serve(g.wrap(h));
      assertThat(Http.get(port, "/").body()).isEqualTo("ok");
      await().untilAsserted(() -> assertThat(order).containsExactly("only-before", "only-after"));
    }

    @Test
    void earlyTermination() throws Exception {
      List<String> order = new CopyOnWriteArrayList<>();
      Middleware deny =
          next ->
              new Handler.Wrapper(next) {
                @Override
                public boolean handle(Request request, Response response, Callback callback) {
                  Handlers.text(response, callback, 403, "denied");
                  return true;
                }
              };
      Handlers.Ok h = Handlers.ok();
      int port = serve(Guard.of(deny, tracing("later", order)).wrap(h));
      assertThat(Http.get(port, "/").status()).isEqualTo(403);
      assertThat(order).isEmpty();
      assertThat(h.calls).hasValue(0);
    }

    private Middleware tracing(String name, List<String> order) {
      return next ->
          new Handler.Wrapper(next) {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
                throws Exception {
              order.add(name + "-before");
              boolean handled = super.handle(request, response, callback);
              order.add(name + "-after");
              return handled;
            }
          };
    }
  }

  // ------------------------------------------------------------------ bodylimit_test.go

  @Nested
  class BodyLimiterTests {
    @Test
    void disabledValuesAreClearErrors() {
      assertThatThrownBy(() -> BodyLimiter.of(0)).hasMessageContaining("maxBytes must be >= 1");
      assertThatThrownBy(() -> BodyLimiter.of(-1)).hasMessageContaining("-1");
    }

    @Test
    void allowsUnderLimitExactLimitAndNoBody() throws Exception {
      int port = serve(BodyLimiter.of(100).wrap(Handlers.readingBody()));
      assertThat(Http.to(port).method("POST").body("hello world").send().body())
          .isEqualTo("read 11");
      stop();
      port = serve(BodyLimiter.of(5).wrap(Handlers.readingBody()));
      assertThat(Http.to(port).method("POST").body("12345").send().body()).isEqualTo("read 5");
      assertThat(Http.get(port, "/").body()).isEqualTo("read 0");
    }

    @Test
    void rejectsOverLimitWith413ItselfW85() throws Exception {
      Handlers.Ok h = Handlers.ok();
      int port = serve(BodyLimiter.of(10).wrap(h));
      Http.Reply reply = Http.to(port).method("POST").body("x".repeat(20)).send();
      assertThat(reply.status()).isEqualTo(413);
      assertThat(h.calls).as("handler not run for a Content-Length over the limit").hasValue(0);
    }

    @Test
    void chunkedBodyOverLimitFailsTheReadWith413() throws Exception {
      int port = serve(BodyLimiter.of(10).wrap(Handlers.readingBody()));
      String chunk = "x".repeat(20);
      Http.Reply reply =
          Http.raw(
              port,
              "POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
                  + "Connection: close\r\n\r\n"
                  + Integer.toHexString(chunk.length())
                  + "\r\n"
                  + chunk
                  + "\r\n0\r\n\r\n");
      assertThat(reply.status()).isEqualTo(413);
    }
  }

  // ------------------------------------------------------------------ connlimit_test.go

  @Nested
  class ConnLimiterTests {
    @Test
    void disabledValueIsAClearError() {
      assertThatThrownBy(() -> ConnLimiter.of(0)).hasMessageContaining("max must be >= 1");
      assertThatThrownBy(() -> ConnLimiter.perAddress(0))
          .hasMessageContaining("perAddress max must be >= 1")
          .hasMessageEndingWith(": 0");
    }

    @Test
    void rejectsOverLimitThenRecovers() throws Exception {
      ConnLimiter limiter = ConnLimiter.of(2);
      assertThat(limiter.active()).isZero();
      List<Runnable> held = new CopyOnWriteArrayList<>();
      int port = serve(limiter.wrap(Handlers.holding(held::add)));
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<Http.Reply> a = pool.submit(() -> Http.get(port, "/"));
        Future<Http.Reply> b = pool.submit(() -> Http.get(port, "/"));
        await().atMost(Duration.ofSeconds(10)).until(() -> held.size() == 2);
        assertThat(limiter.active()).isEqualTo(2);
        Http.Reply third = Http.get(port, "/");
        assertThat(third.status()).isEqualTo(503);
        assertThat(third.body()).isEqualTo("{\"error\":\"too many connections\"}\n");
        assertThat(third.header("Content-Type")).startsWith("application/json"); // W-80
        held.forEach(Runnable::run);
        assertThat(a.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        assertThat(b.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
      }
      assertThat(limiter.active()).isZero();
      held.clear();
      Future<Http.Reply> again;
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        again = pool.submit(() -> Http.get(port, "/"));
        await().atMost(Duration.ofSeconds(10)).until(() -> held.size() == 1);
        held.get(0).run();
        assertThat(again.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
      }
    }
  }

  // ------------------------------------------------------------------ content_type_test.go

  @Nested
  class ContentTypeTests {
    @Test
    void upstreamCases() throws Exception {
      int port = serve(RequireContentType.of("application/json").wrap(Handlers.ok()));
      Http.Reply form =
          Http.to(port)
              .method("POST")
              .header("Content-Type", "application/x-www-form-urlencoded")
              .body("a=1")
              .send();
      assertThat(form.status()).isEqualTo(415);
      assertThat(form.body()).isEqualTo("Content-Type must be one of: application/json\n");
      assertThat(Http.to(port).method("POST").body("{}").send().status()).isEqualTo(415);
      assertThat(
              Http.to(port)
                  .method("POST")
                  .header("Content-Type", "application/json")
                  .body("{}")
                  .send()
                  .status())
          .isEqualTo(200);
      assertThat(
              Http.to(port)
                  .method("POST")
                  .header("Content-Type", "application/json; charset=utf-8")
                  .body("{}")
                  .send()
                  .status())
          .isEqualTo(200);
      assertThat(Http.get(port, "/").status()).isEqualTo(200);
      assertThat(Http.to(port).method("DELETE").send().status()).isEqualTo(200);
      assertThat(
              Http.to(port)
                  .method("PUT")
                  .header("Content-Type", "text/plain")
                  .body("x")
                  .send()
                  .status())
          .isEqualTo(415);
    }

    @Test
    void mediaTypesAreParsedW84() throws Exception {
      int port = serve(RequireContentType.of("application/json").wrap(Handlers.ok()));
      assertThat(
              Http.to(port)
                  .method("PATCH")
                  .header("Content-Type", "Application/JSON")
                  .body("{}")
                  .send()
                  .status())
          .isEqualTo(200);
      assertThat(
              Http.to(port)
                  .method("POST")
                  .header("Content-Type", "application/jsonx")
                  .body("{}")
                  .send()
                  .status())
          .isEqualTo(415);
    }
  }

  // ------------------------------------------------------------------ cors_test.go

  @Nested
  class CorsTests {
    private int cors(Cors cors, Handlers.Ok handler) throws Exception {
      return serve(cors.wrap(handler));
    }

    @Test
    void anyOriginReflectsEvenEvil() throws Exception {
      int port = cors(Cors.allowing(OriginPolicy.allowAll()), Handlers.ok());
      Http.Reply r = Http.to(port).header("Origin", "https://evil.com").send();
      assertThat(r.header("Access-Control-Allow-Origin")).isEqualTo("https://evil.com");
    }

    @Test
    void allowedOriginReflectedWithVary() throws Exception {
      int port = cors(Cors.allowing(OriginPolicy.of("https://example.com")), Handlers.ok());
      Http.Reply r = Http.to(port).header("Origin", "https://example.com").send();
      assertThat(r.header("Access-Control-Allow-Origin")).isEqualTo("https://example.com");
      assertThat(String.join(",", r.headers("Vary"))).contains("Origin");
    }

    @Test
    void disallowedOriginGetsNoCorsHeadersButVaryW79() throws Exception {
      Handlers.Ok h = Handlers.ok();
      int port = cors(Cors.allowing(OriginPolicy.of("https://example.com")), h);
      Http.Reply r = Http.to(port).header("Origin", "https://evil.com").send();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("Access-Control-Allow-Origin")).isNull();
      assertThat(String.join(",", r.headers("Vary"))).contains("Origin");
      assertThat(h.calls).as("downstream handler still called").hasValue(1);
    }

    @Test
    void noOriginHeader() throws Exception {
      int port = cors(Cors.allowing(OriginPolicy.of("https://example.com")), Handlers.ok());
      assertThat(Http.get(port, "/").header("Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void preflightAllowedAndDisallowed() throws Exception {
      Handlers.Ok h = Handlers.ok();
      int port = cors(Cors.allowing(OriginPolicy.of("https://example.com")), h);
      Http.Reply ok = preflight(port, "https://example.com");
      assertThat(ok.status()).isEqualTo(204);
      assertThat(ok.header("Access-Control-Allow-Origin")).isEqualTo("https://example.com");
      assertThat(ok.header("Access-Control-Allow-Methods"))
          .contains("GET")
          .contains("POST")
          .contains("OPTIONS");
      assertThat(ok.header("Access-Control-Allow-Headers"))
          .contains("Content-Type")
          .contains("Authorization");
      assertThat(ok.header("Access-Control-Allow-Credentials")).isNull();
      assertThat(ok.header("Access-Control-Max-Age")).isNull();
      Http.Reply no = preflight(port, "https://evil.com");
      assertThat(no.status()).isEqualTo(204);
      assertThat(no.header("Access-Control-Allow-Origin")).isNull();
      assertThat(h.calls).hasValue(0);
    }

    @Test
    void onlyRealPreflightsAreAnsweredW79() throws Exception {
      Handlers.Ok h = Handlers.ok();
      int port = cors(Cors.allowing(OriginPolicy.of("https://example.com")), h);
      Http.Reply plainOptions =
          Http.to(port).method("OPTIONS").header("Origin", "https://example.com").send();
      assertThat(plainOptions.status()).isEqualTo(200);
      assertThat(h.calls).as("a non-preflight OPTIONS reaches the handler").hasValue(1);
      Http.Reply get = Http.to(port).header("Origin", "https://example.com").send();
      assertThat(get.header("Access-Control-Allow-Methods"))
          .as("lists only on preflights")
          .isNull();
    }

    @Test
    void wildcardOrigins() throws Exception {
      int port = cors(Cors.allowing(OriginPolicy.of("https://*.excaliframe.com")), Handlers.ok());
      for (String allowed :
          List.of(
              "https://app.excaliframe.com",
              "https://staging.excaliframe.com",
              "https://a.b.excaliframe.com",
              "HTTPS://App.Excaliframe.COM:443")) {
        assertThat(
                Http.to(port)
                    .header("Origin", allowed)
                    .send()
                    .header("Access-Control-Allow-Origin"))
            .as(allowed)
            .isEqualTo(allowed);
      }
      for (String refused :
          List.of(
              "https://evil.com",
              "https://notexcaliframe.com",
              "https://excaliframe.com", // the apex is not a subdomain (was allowed before 0.1.0)
              "http://app.excaliframe.com",
              "https://app.excaliframe.com/",
              "https://app.excaliframe.com:8443",
              "https://evil.com https://app.excaliframe.com")) {
        assertThat(
                Http.to(port)
                    .header("Origin", refused)
                    .send()
                    .header("Access-Control-Allow-Origin"))
            .as(refused)
            .isNull();
      }
    }

    @Test
    void localhostOrigins() throws Exception {
      int port = cors(Cors.allowing(OriginPolicy.localhost()), Handlers.ok());
      for (String o :
          List.of("http://localhost:3000", "http://localhost:8080", "http://127.0.0.1:3000")) {
        assertThat(Http.to(port).header("Origin", o).send().header("Access-Control-Allow-Origin"))
            .isEqualTo(o);
      }
      assertThat(
              Http.to(port)
                  .header("Origin", "https://evil.com")
                  .send()
                  .header("Access-Control-Allow-Origin"))
          .isNull();
    }

    @Test
    void customMethodsHeadersAndExposeHeaders() throws Exception {
      int port =
          cors(
              Cors.allowing(OriginPolicy.of("https://example.com"))
                  .allowMethods("GET", "POST", "DELETE", "OPTIONS")
                  .allowHeaders("Content-Type", "Authorization", "Mcp-Session-Id")
                  .exposeHeaders("Mcp-Session-Id"),
              Handlers.ok());
      Http.Reply pre = preflight(port, "https://example.com");
      assertThat(Set.of(pre.header("Access-Control-Allow-Methods").split("\\s*,\\s*")))
          .containsExactlyInAnyOrder("GET", "POST", "DELETE", "OPTIONS");
      assertThat(Set.of(pre.header("Access-Control-Allow-Headers").split("\\s*,\\s*")))
          .containsExactlyInAnyOrder("Content-Type", "Authorization", "Mcp-Session-Id");
      Http.Reply get = Http.to(port).header("Origin", "https://example.com").send();
      assertThat(get.header("Access-Control-Expose-Headers")).isEqualTo("Mcp-Session-Id");
      stop();
      port = cors(Cors.allowing(OriginPolicy.of("https://example.com")), Handlers.ok());
      assertThat(
              Http.to(port)
                  .header("Origin", "https://example.com")
                  .send()
                  .header("Access-Control-Expose-Headers"))
          .isNull();
    }

    @Test
    void credentialsAndMaxAgeOptionsW79() throws Exception {
      int port =
          cors(
              Cors.allowing(OriginPolicy.of("https://example.com"))
                  .allowCredentials()
                  .maxAge(Duration.ofMinutes(10)),
              Handlers.ok());
      Http.Reply pre = preflight(port, "https://example.com");
      assertThat(pre.header("Access-Control-Allow-Credentials")).isEqualTo("true");
      assertThat(pre.header("Access-Control-Max-Age")).isEqualTo("600");
      assertThatThrownBy(() -> Cors.allowing(OriginPolicy.allowAll()).allowCredentials())
          .hasMessageContaining("credentials");
    }

    private Http.Reply preflight(int port, String origin) throws IOException {
      return Http.to(port)
          .method("OPTIONS")
          .header("Origin", origin)
          .header("Access-Control-Request-Method", "POST")
          .send();
    }
  }

  // ------------------------------------------------------------------ health_test.go

  @Nested
  class HealthTests {
    @Test
    void defaultPathAndBodies() throws Exception {
      HealthCheck hc = HealthCheck.liveness();
      assertThat(hc.path()).isEqualTo("/healthz");
      server = ServiceKitServer.builder().port(0).route(hc.path(), hc).build().start();
      Http.Reply r = Http.get(server.port(), "/healthz");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("{\"status\":\"ok\"}");
      assertThat(r.header("Content-Type")).isEqualTo("application/json");
      assertThat(Http.to(server.port()).method("POST").path("/healthz").send().status())
          .isEqualTo(405);
    }

    @Test
    void customPathAndReadiness() throws Exception {
      java.util.concurrent.atomic.AtomicBoolean ready =
          new java.util.concurrent.atomic.AtomicBoolean(true);
      HealthCheck hc = HealthCheck.builder().path("/ready").readiness(ready::get).build();
      server = ServiceKitServer.builder().port(0).route(hc.path(), hc).build().start();
      assertThat(Http.get(server.port(), "/ready").status()).isEqualTo(200);
      ready.set(false);
      Http.Reply r = Http.get(server.port(), "/ready");
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.body()).isEqualTo("{\"status\":\"not ready\"}");
      assertThat(r.header("Content-Type")).isEqualTo("application/json");
    }

    @Test
    void headIsAllowedAndThePathIsEnforcedW83() throws Exception {
      HealthCheck hc = HealthCheck.liveness();
      server = ServiceKitServer.builder().port(0).route("/*", hc).build().start();
      Http.Reply head = Http.to(server.port()).method("HEAD").path("/healthz").send();
      assertThat(head.status()).isEqualTo(200);
      assertThat(head.body()).isEmpty();
      assertThat(Http.get(server.port(), "/other").status()).isEqualTo(404);
      HealthCheck readyz = HealthCheck.readiness(() -> false);
      assertThat(readyz.path()).isEqualTo("/readyz");
    }
  }

  // ------------------------------------------------------------------ origin_test.go

  @Nested
  class OriginTests {
    @Test
    void middlewareChecksWebSocketUpgrades() throws Exception {
      OriginPolicy allowed = OriginPolicy.of("https://example.com");
      Handlers.Ok h = Handlers.ok();
      Handler ws =
          WsServe.handler(
              r -> WsListener.json("JsonConn", (session, message) -> {}),
              WsConfig.builder().originPolicy(allowed).build());
      server =
          ServiceKitServer.builder()
              .port(0)
              .route("/ws", OriginChecker.of(allowed).wrap(ws))
              .route("/", OriginChecker.of(allowed).wrap(h))
              .build()
              .start();
      int port = server.port();
      Http.Reply bad =
          Http.to(port).path("/ws").upgrade().header("Origin", "https://evil.com").send();
      assertThat(bad.status()).isEqualTo(403);
      assertThat(bad.body()).isEqualTo("{\"error\":\"origin not allowed\"}\n");
      assertThat(bad.header("Content-Type")).startsWith("application/json");
      Http.Reply good =
          Http.to(port).path("/ws").upgrade().header("Origin", "https://example.com").send();
      assertThat(good.status()).isEqualTo(101);
      assertThat(Http.to(port).header("Origin", "https://evil.com").send().status())
          .as("non-upgrade passes by default")
          .isEqualTo(200);
    }

    @Test
    void optionallyAllRequestsAndDnsRebindingW78() throws Exception {
      int port =
          serve(
              OriginChecker.builder(OriginPolicy.localhost())
                  .checkingAllRequests(true)
                  .dnsRebindingCheck(true)
                  .build()
                  .wrap(Handlers.ok()));
      assertThat(Http.to(port).header("Origin", "https://evil.com").send().status()).isEqualTo(403);
      assertThat(Http.to(port).header("Origin", "http://localhost:3000").send().status())
          .isEqualTo(200);
      assertThat(Http.to(port).header("Host", "evil.com:8080").send().status()).isEqualTo(403);
      assertThat(Http.to(port).header("Host", "localhost:8080").send().status()).isEqualTo(200);
      assertThat(Http.to(port).header("Host", "[::1]:9090").send().status()).isEqualTo(200);
    }
  }

  // ------------------------------------------------------------------ ratelimit_test.go, clientip

  @Nested
  class RateLimitTests {
    @Test
    void keyFunctionAndOnRejected() throws Exception {
      List<String> rejected = new CopyOnWriteArrayList<>();
      RateLimiter limiter =
          RateLimiter.of(RateLimitConfig.perKey(1, 1))
              .keyedBy(r -> r.getHeaders().get("X-User"))
              .onRejected(rejected::add);
      int port = serve(limiter.wrap(Handlers.ok()));
      assertThat(Http.to(port).header("X-User", "test-key").send().status()).isEqualTo(200);
      Http.Reply limited = Http.to(port).header("X-User", "test-key").send();
      assertThat(limited.status()).isEqualTo(429);
      assertThat(limited.body()).isEqualTo("{\"error\":\"rate limit exceeded\"}\n");
      assertThat(limited.header("Content-Type")).startsWith("application/json");
      assertThat(limited.header("Retry-After")).isEqualTo("1"); // W-76
      assertThat(Http.to(port).header("X-User", "other").send().status()).isEqualTo(200);
      assertThat(rejected).containsExactly("test-key");
    }

    @Test
    void defaultKeyIsTheSocketAddressNotAHeaderW77() throws Exception {
      int port = serve(RateLimiter.of(RateLimitConfig.perKey(1, 1)).wrap(Handlers.ok()));
      assertThat(Http.to(port).header("X-Forwarded-For", "1.1.1.1").send().status()).isEqualTo(200);
      assertThat(Http.to(port).header("X-Forwarded-For", "2.2.2.2").send().status())
          .as("rotating X-Forwarded-For does not escape the limit")
          .isEqualTo(429);
    }

    @Test
    void clientIpThroughTrustedProxyIsLimitedPerRealClient() throws Exception {
      // TestClientIP_IntegrationWithRateLimit: the test client (127.0.0.1) plays the proxy.
      int port =
          serve(
              Guard.of(
                      ClientIpExtractor.trusting("127.0.0.1"),
                      RateLimiter.of(RateLimitConfig.perKey(1, 1)))
                  .wrap(Handlers.running(r -> {})));
      assertThat(Http.to(port).header("X-Forwarded-For", "203.0.113.5").send().status())
          .isEqualTo(200);
      assertThat(Http.to(port).header("X-Forwarded-For", "203.0.113.5").send().status())
          .isEqualTo(429);
      assertThat(Http.to(port).header("X-Forwarded-For", "203.0.113.6").send().status())
          .isEqualTo(200);
      // The client prepending a fake hop does not change who it is (right-most untrusted hop).
      assertThat(Http.to(port).header("X-Forwarded-For", "9.9.9.9, 203.0.113.6").send().status())
          .isEqualTo(429);
    }

    @Test
    void spoofFromUntrustedSourceStillLimited() throws Exception { // _IntegrationSpoofAttempt
      int port =
          serve(
              Guard.of(
                      ClientIpExtractor.trusting("10.0.0.0/8"),
                      RateLimiter.of(RateLimitConfig.perKey(1, 1)))
                  .wrap(Handlers.ok()));
      assertThat(Http.to(port).header("X-Forwarded-For", "1.1.1.1").send().status()).isEqualTo(200);
      assertThat(Http.to(port).header("X-Forwarded-For", "2.2.2.2").send().status()).isEqualTo(429);
    }

    @Test
    void extractedIpIsVisibleToHandlers() throws Exception {
      AtomicReference<String> seen = new AtomicReference<>();
      int port =
          serve(
              ClientIpExtractor.trusting("127.0.0.1")
                  .wrap(Handlers.running(r -> seen.set(ClientIpExtractor.clientIp(r)))));
      Http.to(port).header("X-Forwarded-For", "203.0.113.5").send();
      assertThat(seen).hasValue("203.0.113.5");
    }
  }

  // ------------------------------------------------------------------ recovery_test.go

  @Nested
  class RecoveryTests {
    @Test
    void noPanicPassesThrough() throws Exception {
      int port = serve(Recovery.create().wrap(Handlers.ok()));
      assertThat(Http.get(port, "/").body()).isEqualTo("ok");
    }

    @Test
    void exceptionsBecome500JsonAndLaterRequestsWork() throws Exception {
      int port =
          serve(
              Recovery.create()
                  .wrap(
                      Handlers.running(
                          r -> {
                            switch (Request.getPathInContext(r)) {
                              case "/string" -> throw new IllegalStateException("boom");
                              case "/npe" -> {
                                Object o = null;
                                o.hashCode();
                              }
                              case "/assert" -> throw new AssertionError("bad");
                              default -> {}
                            }
                          })));
      for (String path : List.of("/string", "/npe", "/assert")) {
        Http.Reply r = Http.get(port, path);
        assertThat(r.status()).as(path).isEqualTo(500);
        assertThat(r.body()).isEqualTo("{\"error\":\"internal server error\"}\n");
        assertThat(r.header("Content-Type")).startsWith("application/json");
      }
      assertThat(Http.get(port, "/fine").status()).isEqualTo(200);
    }

    @Test
    void asyncFailureThroughTheCallbackIsRecovered() throws Exception {
      Handler failing =
          new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
              Thread.ofVirtual().start(() -> callback.failed(new IllegalStateException("later")));
              return true;
            }
          };
      int port = serve(Recovery.create().wrap(failing));
      Http.Reply r = Http.get(port, "/");
      assertThat(r.status()).isEqualTo(500);
      assertThat(r.body()).isEqualTo("{\"error\":\"internal server error\"}\n");
    }

    @Test
    void committedResponseIsNotOverwrittenW81() throws Exception {
      Handler partial =
          new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
                throws Exception {
              response.setStatus(200);
              response.getHeaders().put("Content-Type", "text/plain");
              org.eclipse.jetty.util.FutureCallback written =
                  new org.eclipse.jetty.util.FutureCallback();
              response.write(false, java.nio.ByteBuffer.wrap("partial".getBytes()), written);
              written.get(5, TimeUnit.SECONDS);
              throw new IllegalStateException("after commit");
            }
          };
      int port = serve(Recovery.create().wrap(partial));
      String raw =
          Http.rawText(port, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      assertThat(raw)
          .startsWith("HTTP/1.1 200")
          .contains("partial")
          .doesNotContain("internal server error");
    }

    @Test
    void clientAbortIsNotSwallowedW81() throws Exception {
      CapturingLogger log = new CapturingLogger();
      Handler aborted =
          Handlers.running(
              r -> {
                throw new EofException("peer closed");
              });
      int port = serve(Guard.of(RequestLogger.skipping().to(log), Recovery.create()).wrap(aborted));
      String raw;
      try {
        raw = Http.rawText(port, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      } catch (IOException e) {
        raw = "";
      }
      assertThat(raw).doesNotContain("internal server error");
      CapturingLogger.Event event = log.next();
      assertThat(event.cause())
          .as("the abort reached the outer callback as a failure")
          .isInstanceOf(EofException.class);
    }
  }

  // ------------------------------------------------------------------ requestid_test.go

  @Nested
  class RequestIdTests {
    @Test
    void generatesPropagatesAndExposesTheId() throws Exception {
      AtomicReference<String> attribute = new AtomicReference<>();
      AtomicReference<String> mdc = new AtomicReference<>();
      int port =
          serve(
              RequestId.create()
                  .wrap(
                      Handlers.running(
                          r -> {
                            attribute.set(RequestId.of(r));
                            mdc.set(MDC.get(RequestId.MDC_KEY));
                          })));
      Http.Reply generated = Http.get(port, "/");
      assertThat(generated.header("X-Request-Id")).matches("[0-9a-f]{32}");
      assertThat(attribute).hasValue(generated.header("X-Request-Id"));
      if (!(MDC.getMDCAdapter() instanceof org.slf4j.helpers.NOPMDCAdapter)) {
        assertThat(mdc).hasValue(generated.header("X-Request-Id")); // slf4j-simple has no MDC
      }
      Http.Reply kept = Http.to(port).header("X-Request-Id", "my-trace-id-123").send();
      assertThat(kept.header("X-Request-Id")).isEqualTo("my-trace-id-123");
      assertThat(attribute).hasValue("my-trace-id-123");
      Set<String> ids = new HashSet<>();
      for (int i = 0; i < 5; i++) {
        ids.add(Http.get(port, "/").header("X-Request-Id"));
      }
      assertThat(ids).hasSize(5);
    }

    @Test
    void withoutTheMiddlewareThereIsNoId() throws Exception {
      AtomicReference<String> attribute = new AtomicReference<>();
      int port = serve(Handlers.running(r -> attribute.set(RequestId.of(r))));
      assertThat(Http.get(port, "/").header("X-Request-Id")).isNull();
      assertThat(attribute).hasValue("");
    }

    @Test
    void invalidIncomingIdIsReplacedW82() throws Exception {
      int port = serve(RequestId.create().wrap(Handlers.ok()));
      assertThat(
              Http.to(port).header("X-Request-Id", "a".repeat(300)).send().header("X-Request-Id"))
          .matches("[0-9a-f]{32}");
      assertThat(
              Http.to(port)
                  .header("X-Request-Id", "x\" injected=\"1")
                  .send()
                  .header("X-Request-Id"))
          .matches("[0-9a-f]{32}");
    }
  }

  // ------------------------------------------------------------------ logging (no upstream test)

  @Nested
  class RequestLoggerTests {
    @Test
    void logsOneStructuredRecordWithRequestIdAndSkipsPaths() throws Exception {
      CapturingLogger log = new CapturingLogger();
      int port =
          serve(
              Guard.of(RequestId.create(), RequestLogger.skipping("/healthz").to(log))
                  .wrap(Handlers.ok()));
      Http.Reply r = Http.to(port).path("/api/x").header("X-Request-Id", "req-1").send();
      assertThat(r.status()).isEqualTo(200);
      CapturingLogger.Event e = log.next();
      assertThat(e.level()).isEqualTo(Level.INFO);
      assertThat(e.message()).isEqualTo("HTTP request");
      assertThat(e.kv())
          .containsEntry("component", "http")
          .containsEntry("method", "GET")
          .containsEntry("path", "/api/x")
          .containsEntry("status", 200)
          .containsEntry("ip", "127.0.0.1")
          .containsEntry("request_id", "req-1")
          .containsKey("duration_ms");
      Http.get(port, "/healthz");
      Http.get(port, "/after");
      assertThat(log.next().kv()).containsEntry("path", "/after");
      assertThat(new ArrayList<>(log.drained())).isEmpty();
    }
  }
}
