package io.servicekit.jetty.middleware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.OriginPolicy;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.WsServe;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one {@link OriginPolicy} on a real Jetty, through each of its users: the WebSocket upgrade
 * check of {@code WsServe} (403 before the upgrade), {@link OriginChecker} on plain requests, and
 * {@link Cors} (whose regexes Jetty's {@code CrossOriginHandler} matches). The three must give the
 * answer the policy gives.
 */
class OriginServerTest {
  private static final OriginPolicy POLICY =
      OriginPolicy.of("https://app.example.com", "https://*.example.org", "localhost");
  private static ServiceKitServer server;

  @BeforeAll
  static void start() throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .route(
                "/ws",
                WsServe.handler(
                    r -> WsListener.json("JsonConn", (session, message) -> {}),
                    WsConfig.builder().originPolicy(POLICY).build()))
            .route(
                "/same",
                WsServe.handler(
                    r -> WsListener.json("JsonConn", (session, message) -> {}),
                    WsConfig.defaults()))
            .route(
                "/checked",
                OriginChecker.builder(POLICY).checkingAllRequests(true).build().wrap(Handlers.ok()))
            .route("/cors", Cors.allowing(POLICY).wrap(Handlers.ok()))
            .build()
            .start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  static List<Arguments> origins() {
    return List.of(
        Arguments.of("https://app.example.com", true),
        Arguments.of("https://app.example.com:443", true),
        Arguments.of("HTTPS://APP.EXAMPLE.COM", true),
        Arguments.of("https://a.b.example.org", true),
        Arguments.of("https://x.example.org:443", true),
        Arguments.of("http://localhost:5173", true),
        Arguments.of("http://[::1]:3000", true),
        Arguments.of("https://app.example.com/", false), // trailing slash: not an origin
        Arguments.of("https://app.example.com/path", false),
        Arguments.of("http://app.example.com", false), // scheme counts
        Arguments.of("https://app.example.com:8443", false), // port counts
        Arguments.of("https://example.org", false), // the apex is not a subdomain
        Arguments.of("https://app.example.com.evil.com", false),
        Arguments.of("null", false),
        Arguments.of("app.example.com", false),
        Arguments.of("https://user@app.example.com", false),
        Arguments.of("https://evil.com https://app.example.com", false), // a list, not an origin
        Arguments.of("https://" + "a.".repeat(300) + "example.org", false)); // too long
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("origins")
  void everyUserOfThePolicyGivesItsAnswer(String origin, boolean allowed) throws Exception {
    assertThat(POLICY.matches(origin)).as("policy").isEqualTo(allowed);
    int port = server.port();

    Http.Reply ws = Http.to(port).path("/ws").upgrade().header("Origin", origin).send();
    assertThat(ws.status()).as("WebSocket upgrade").isEqualTo(allowed ? 101 : 403);
    if (!allowed) {
      assertThat(ws.body()).isEqualTo("{\"error\":\"origin not allowed\"}\n");
    }

    Http.Reply checked = Http.to(port).path("/checked").header("Origin", origin).send();
    assertThat(checked.status()).as("OriginChecker").isEqualTo(allowed ? 200 : 403);

    Http.Reply cors = Http.to(port).path("/cors").header("Origin", origin).send();
    assertThat(cors.header("Access-Control-Allow-Origin"))
        .as("Cors")
        .isEqualTo(allowed ? origin : null);
  }

  @Test
  void sameOriginDefaultComparesWithTheHostHeader() throws Exception {
    int port = server.port();
    String self = "http://localhost:" + port;
    assertThat(Http.to(port).path("/same").upgrade().header("Origin", self).send().status())
        .isEqualTo(101);
    assertThat(
            Http.to(port)
                .path("/same")
                .upgrade()
                .header("Origin", "https://localhost:" + port)
                .send()
                .status())
        .as("Host carries no scheme: host and port decide (the port pins the listener)")
        .isEqualTo(101);
    for (String refused :
        List.of(
            self + "/", "http://localhost:" + (port + 1), "http://127.0.0.1:" + port, "null", "")) {
      assertThat(Http.to(port).path("/same").upgrade().header("Origin", refused).send().status())
          .as(refused)
          .isEqualTo(403);
    }
    assertThat(Http.to(port).path("/same").upgrade().send().status())
        .as("no Origin: a non-browser client")
        .isEqualTo(101);
  }

  @Test
  void corsAnswersAPreflightFromAnOriginListLikeARefusedOrigin() throws Exception {
    for (String origin : List.of("https://evil.com https://app.example.com", "https://evil.com")) {
      Http.Reply r =
          Http.to(server.port())
              .method("OPTIONS")
              .path("/cors")
              .header("Origin", origin)
              .header("Access-Control-Request-Method", "POST")
              .send();
      assertThat(r.status()).as(origin).isEqualTo(204);
      assertThat(r.header("Access-Control-Allow-Origin")).as(origin).isNull();
      assertThat(String.join(",", r.headers("Vary"))).as(origin).contains("Origin");
    }
  }

  @Test
  void corsNeedsListedOrigins() {
    assertThatThrownBy(() -> Cors.allowing(OriginPolicy.sameOrigin()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CORS needs listed origins");
  }
}
