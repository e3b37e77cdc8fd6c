package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.testkit.RawWsClient;
import io.servicekit.testkit.RawWsClient.Response;
import io.servicekit.testkit.RawWsClient.Upgrade;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The opening handshake (RFC 6455 §4.2) against the statuses {@link WsServe} documents: each bad
 * request gets one complete HTTP response, nothing is upgraded and no connection object is made.
 */
class HandshakeConformanceTest {
  private static final Duration HTTP_IDLE = Duration.ofSeconds(2);
  private static ConformanceServer server;

  @BeforeAll
  static void start() throws Exception {
    server = ConformanceServer.start(HTTP_IDLE);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** A valid upgrade request for {@code /echo} with a fresh {@code ?id=}. */
  private static Upgrade echo(String id) {
    return Upgrade.to(server.uri("/echo?id=" + id));
  }

  /** Sends {@code request} on a fresh connection; the upgrade must be refused. */
  private static Response refused(String id, Upgrade request) {
    try (RawWsClient client = RawWsClient.connect(server.uri("/"))) {
      Response r = client.upgrade(request);
      assertThat(r.status()).as("%s", r).isNotEqualTo(101);
      assertThat(server.conn(id)).as("no connection object for a refused upgrade").isNull();
      return r;
    }
  }

  /** Sends {@code request} on a fresh connection; the upgrade must succeed. */
  private static Response switched(Upgrade request) {
    try (RawWsClient client = RawWsClient.connect(server.uri("/"))) {
      Response r = client.upgrade(request);
      r.assertSwitched(request.key());
      // The connection really speaks WebSocket afterwards.
      client.sendText("ok?");
      assertThat(client.awaitText()).isEqualTo("ok?");
      return r;
    }
  }

  // ------------------------------------------------------------------ Sec-WebSocket-Key

  @Test
  void aRequestWithoutSecWebSocketKeyIsRefusedWith400() {
    String id = ConformanceServer.newId();
    Response r = refused(id, echo(id).remove("Sec-WebSocket-Key"));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.bodyText()).contains("Sec-WebSocket-Key");
  }

  @Test
  void aRequestWithTwoSecWebSocketKeysIsRefusedWith400() {
    String id = ConformanceServer.newId();
    Response r = refused(id, echo(id).header("Sec-WebSocket-Key", RawWsClient.newKey()));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.bodyText()).contains("Sec-WebSocket-Key");
  }

  @ParameterizedTest(name = "key \"{0}\"")
  @ValueSource(
      strings = {
        "AAAAAAAAAAAAAAAAAAAA", // 15 bytes
        "AAAAAAAAAAAAAAAAAAAAAAA=", // 17 bytes
        "not base64 at all!!!!!!=",
        "dGhlIHNhbXBsZSBub25jZQ", // the RFC sample without its padding
        ""
      })
  void aKeyThatIsNotBase64Of16BytesIsRefusedWith400(String key) {
    String id = ConformanceServer.newId();
    Response r = refused(id, echo(id).set("Sec-WebSocket-Key", key));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.bodyText()).contains("16-byte");
  }

  // ------------------------------------------------------------------ version, Upgrade, Connection

  @ParameterizedTest(name = "version \"{0}\"")
  @ValueSource(strings = {"8", "12", "14", "13, 8", "thirteen", ""})
  void aVersionOtherThan13IsRefusedWith426Naming13(String version) {
    String id = ConformanceServer.newId();
    Response r = refused(id, echo(id).set("Sec-WebSocket-Version", version));
    assertThat(r.status()).isEqualTo(426);
    assertThat(r.header("Sec-WebSocket-Version")).contains("13");
  }

  @Test
  void aMissingVersionIsRefusedWith426Naming13() {
    String id = ConformanceServer.newId();
    Response r = refused(id, echo(id).remove("Sec-WebSocket-Version"));
    assertThat(r.status()).isEqualTo(426);
    assertThat(r.header("Sec-WebSocket-Version")).contains("13");
  }

  @Test
  void aMissingUpgradeHeaderIsRefusedWith426AskingForWebSocket() {
    String id = ConformanceServer.newId();
    Response r = refused(id, echo(id).remove("Upgrade"));
    assertThat(r.status()).isEqualTo(426);
    assertThat(r.header("Upgrade")).contains("websocket");
  }

  @Test
  void anUpgradeToAnotherProtocolIsRefusedWith426() {
    String id = ConformanceServer.newId();
    Response r = refused(id, echo(id).set("Upgrade", "h2c"));
    assertThat(r.status()).isEqualTo(426);
    assertThat(r.header("Upgrade")).contains("websocket");
  }

  /**
   * An {@code Upgrade} header without the {@code upgrade} token in {@code Connection} is malformed
   * HTTP/1.1 (RFC 9110 §7.8). Jetty's HTTP layer answers 400 before the request reaches {@link
   * WsServe} (whose own check would answer 426); RFC 6455 §4.2.2 allows any fitting 4xx such as
   * 400, so Jetty's answer is kept.
   */
  @ParameterizedTest(name = "Connection \"{0}\"")
  @ValueSource(strings = {"keep-alive", "close", "upgrades", "-"})
  void anUpgradeWithoutTheConnectionUpgradeTokenIsRefusedWith400ByJetty(String connection) {
    String id = ConformanceServer.newId();
    Upgrade request =
        connection.equals("-")
            ? echo(id).remove("Connection")
            : echo(id).set("Connection", connection);
    Response r = refused(id, request);
    assertThat(r.status()).isEqualTo(400);
  }

  @Test
  void upgradeTokensMatchCaseInsensitivelyAndInsideLists() {
    switched(
        echo(ConformanceServer.newId())
            .set("Connection", "keep-alive, Upgrade")
            .set("Upgrade", "WebSocket"));
    switched(
        echo(ConformanceServer.newId()).set("Connection", "UPGRADE").set("upgrade", "WEBSOCKET"));
  }

  @Test
  void postIsRefusedWith405AllowingGet() {
    String id = ConformanceServer.newId();
    Response r = refused(id, echo(id).method("POST").header("Content-Length", "0"));
    assertThat(r.status()).isEqualTo(405);
    assertThat(r.header("Allow")).contains("GET");
  }

  @Test
  void http10IsRefusedWith426() {
    String id = ConformanceServer.newId();
    Response r = refused(id, echo(id).version("HTTP/1.0"));
    assertThat(r.status()).isEqualTo(426);
    assertThat(r.bodyText()).contains("HTTP/1.1");
  }

  // ------------------------------------------------------------------ Origin

  @Test
  void aForeignOriginIsRefusedWith403AndAJsonError() {
    String id = ConformanceServer.newId();
    Response r = refused(id, echo(id).header("Origin", "http://evil.example.com"));
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.header("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("json"));
    assertThat(r.bodyText().trim()).isEqualTo("{\"error\":\"origin not allowed\"}");
  }

  @Test
  void anOriginOnTheSameHostButAnotherPortIsRefusedWith403() {
    String id = ConformanceServer.newId();
    Response r = refused(id, echo(id).header("Origin", "http://localhost:1"));
    assertThat(r.status()).isEqualTo(403);
  }

  @Test
  void theNullOriginOfASandboxedPageIsRefusedWith403() {
    String id = ConformanceServer.newId();
    Response r = refused(id, echo(id).header("Origin", "null"));
    assertThat(r.status()).isEqualTo(403);
  }

  @Test
  void theSameOriginIsUpgraded() {
    switched(echo(ConformanceServer.newId()).header("Origin", "http://" + server.authority()));
  }

  @Test
  void noOriginIsUpgraded() {
    switched(echo(ConformanceServer.newId()));
  }

  // ------------------------------------------------------------------ validate

  @Test
  void aRejectionFromValidateSendsItsStatusHeaderAndBodyBeforeAnyUpgrade() {
    String id = ConformanceServer.newId();
    Response r = refused(id, Upgrade.to(server.uri("/auth?id=" + id)));
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.header("WWW-Authenticate")).contains("Bearer realm=\"servicekit\"");
    assertThat(r.bodyText()).isEqualTo("missing or wrong token");
    switched(Upgrade.to(server.uri("/auth?token=letmein&id=" + ConformanceServer.newId())));
  }

  // ------------------------------------------------------------------ subprotocols, extensions

  @Test
  void anUnknownSubprotocolIsUpgradedWithoutChoosingOne() {
    Response r =
        switched(echo(ConformanceServer.newId()).header("Sec-WebSocket-Protocol", "mqtt, soap"));
    assertThat(r.header("Sec-WebSocket-Protocol")).isEmpty();
  }

  @Test
  void aConfiguredSubprotocolIsChosenInTheServersOrderOfPreference() {
    Response one =
        switched(echo(ConformanceServer.newId()).header("Sec-WebSocket-Protocol", "mqtt, chat.v1"));
    assertThat(one.headers("Sec-WebSocket-Protocol")).containsExactly("chat.v1");
    Response both =
        switched(
            echo(ConformanceServer.newId())
                .header("Sec-WebSocket-Protocol", "chat.v1")
                .header("Sec-WebSocket-Protocol", "chat.v2"));
    assertThat(both.headers("Sec-WebSocket-Protocol")).containsExactly("chat.v2");
  }

  @Test
  void permessageDeflateIsNotNegotiatedWhenCompressionIsOff() {
    Response r =
        switched(
            echo(ConformanceServer.newId())
                .header("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"));
    assertThat(r.header("Sec-WebSocket-Extensions")).isEmpty();
  }

  @ParameterizedTest(name = "extensions \"{0}\"")
  @ValueSource(
      strings = {
        ";;;,,,=",
        "permessage-deflate; client_max_window_bits=abc",
        "x-unknown-extension",
        "\u00ff\u00fe garbage"
      })
  void anUnusableExtensionsOfferIsIgnored(String extensions) {
    Response r =
        switched(echo(ConformanceServer.newId()).header("Sec-WebSocket-Extensions", extensions));
    assertThat(r.header("Sec-WebSocket-Extensions")).isEmpty();
  }

  /**
   * Jetty parses the offered extensions only while upgrading, after {@code accept}: the connection
   * object exists then, but it is never started, so no lifecycle callback runs.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol"})
  void aHeaderJettyCannotParseIsRefusedWith400NamingTheProblem(String header) {
    String id = ConformanceServer.newId();
    try (RawWsClient client = RawWsClient.connect(server.uri("/"))) {
      Response r = client.upgrade(echo(id).header(header, "x-ext; a=\"unterminated"));
      assertThat(r.status()).as("%s", r).isEqualTo(400);
      assertThat(r.bodyText()).startsWith("WebSocket upgrade failed: ").contains("unterminated");
    }
    ConformanceServer.Tracked conn = server.conn(id);
    if (conn != null) {
      assertThat(conn.isOpen()).isFalse();
      assertThat(conn.log().count()).isZero();
    }
  }

  // ------------------------------------------------------------------ request size and pace

  @Test
  void aHeaderBlockOf64KiBIsRefusedWith431() {
    String id = ConformanceServer.newId();
    Upgrade big = echo(id);
    for (int i = 0; i < 64; i++) {
      big.header("X-Filler-" + i, "x".repeat(1000));
    }
    Response r = refused(id, big);
    assertThat(r.status()).isEqualTo(431);
  }

  @Test
  void tenThousandSmallHeadersAreRefusedWith431() {
    String id = ConformanceServer.newId();
    Upgrade many = echo(id);
    for (int i = 0; i < 10_000; i++) {
      many.header("X-" + i, "1");
    }
    Response r = refused(id, many);
    assertThat(r.status()).isEqualTo(431);
  }

  @Test
  void aRequestThatNeverFinishesItsHeadersIsDroppedAfterTheIdleTimeout() {
    try (RawWsClient client = RawWsClient.connect(server.uri("/"))) {
      String head = echo(ConformanceServer.newId()).toString();
      // Everything but the final empty line: the server waits for more, then gives up.
      client.write(head.substring(0, head.length() - 2).getBytes(StandardCharsets.ISO_8859_1));
      assertThat(client.awaitEof(HTTP_IDLE.plusSeconds(10))).isTrue();
    }
  }

  @Test
  void theAcceptHeaderIsDerivedFromTheKeyAsRfc6455Says() {
    String key =
        Base64.getEncoder().encodeToString("0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
    Response r = switched(echo(ConformanceServer.newId()).set("Sec-WebSocket-Key", key));
    assertThat(r.header("Sec-WebSocket-Accept")).contains(RawWsClient.acceptFor(key));
  }
}
