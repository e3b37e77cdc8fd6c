package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.Codec;
import io.servicekit.JsonCodec;
import io.servicekit.OriginPolicy;
import io.servicekit.Rejection;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.testkit.TestWsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Handler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Routing, path parameters, validation and origin checks through the server builder. */
class ServerRoutingTest {
  private ServiceKitServer server;

  /** Sends the handshake request's view back to the client on start. */
  static final class RequestEcho implements WsListener<Object, Object> {
    @Override
    public Codec<Object, Object> codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "JsonConn";
    }

    @Override
    public void onMessage(WsSession<Object> session, Object message) {}

    @Override
    public void onOpen(WsSession<Object> session) {
      var r = session.request();
      session.send(
          Map.of(
              "path", r.path(),
              "room", r.pathParam("room").orElse(""),
              "user", r.queryParam("user").orElse(""),
              "agent", r.header("X-Test").orElse(""),
              "subprotocol", session.subprotocol().orElse("")));
    }
  }

  @BeforeEach
  void start() throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .ws(
                "/rooms/{room}",
                request -> {
                  if (request.queryParam("token").filter("secret"::equals).isEmpty()) {
                    throw Rejection.of(401, "Missing or invalid token")
                        .header("WWW-Authenticate", "Bearer");
                  }
                  return new RequestEcho();
                },
                WsConfig.builder().subprotocols(List.of("chat.v2", "chat.v1")).build())
            .ws(
                "/partners",
                request -> new RequestEcho(),
                WsConfig.builder()
                    .originPolicy(OriginPolicy.sameOriginOr("https://partner.example"))
                    .build())
            .route(
                "/plain",
                new Handler.Abstract() {
                  @Override
                  public boolean handle(
                      org.eclipse.jetty.server.Request request,
                      org.eclipse.jetty.server.Response response,
                      org.eclipse.jetty.util.Callback callback) {
                    Responses.json(response, callback, 200, "{\"ok\":true}");
                    return true;
                  }
                })
            .build()
            .start();
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
  }

  @Test
  void pathAndQueryParametersAndHeadersReachTheConnection() {
    try (TestWsClient client =
        TestWsClient.builder(server.wsUri("/rooms/blue?token=secret&user=ann"))
            .header("X-Test", "yes")
            .subprotocol("chat.v1")
            .connect()) {
      assertThat(client.awaitJson())
          .containsEntry("path", "/rooms/blue")
          .containsEntry("room", "blue")
          .containsEntry("user", "ann")
          .containsEntry("agent", "yes")
          .containsEntry("subprotocol", "chat.v1");
      assertThat(client.subprotocol()).isEqualTo("chat.v1");
    }
  }

  @Test
  void aRejectionFromValidateAnswersItsStatusHeadersAndBodyAndUpgradesNothing() throws Exception {
    assertThatThrownBy(() -> TestWsClient.connect(server.wsUri("/rooms/blue")))
        .isInstanceOfSatisfying(
            TestWsClient.HandshakeFailed.class, e -> assertThat(e.status()).isEqualTo(401));
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(server.uri() + "/rooms/blue"))
                    .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
                    .header("Sec-WebSocket-Version", "13")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    // The JDK client cannot send Upgrade headers itself, so this plain GET is refused first.
    assertThat(response.statusCode()).isEqualTo(426);
    assertThat(response.headers().firstValue("Upgrade")).contains("websocket");
  }

  @Test
  void originsAreCheckedAgainstThePolicy() {
    assertThatThrownBy(
            () ->
                TestWsClient.builder(server.wsUri("/partners"))
                    .header("Origin", "https://evil.example")
                    .connect())
        .isInstanceOfSatisfying(
            TestWsClient.HandshakeFailed.class, e -> assertThat(e.status()).isEqualTo(403));
    try (TestWsClient allowed =
            TestWsClient.builder(server.wsUri("/partners"))
                .header("Origin", "https://partner.example")
                .connect();
        TestWsClient same =
            TestWsClient.builder(server.wsUri("/partners"))
                .header("Origin", server.uri().toString())
                .connect();
        TestWsClient none = TestWsClient.connect(server.wsUri("/partners"))) {
      assertThat(allowed.awaitJson()).containsEntry("path", "/partners");
      assertThat(same.awaitJson()).containsEntry("path", "/partners");
      assertThat(none.awaitJson()).containsEntry("path", "/partners");
    }
  }

  @Test
  void plainHandlersShareTheServerAndUnknownPathsAre404() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> ok =
        http.send(
            HttpRequest.newBuilder(URI.create(server.uri() + "/plain")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).isEqualTo("{\"ok\":true}\n");
    HttpResponse<String> missing =
        http.send(
            HttpRequest.newBuilder(URI.create(server.uri() + "/nope")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(missing.statusCode()).isEqualTo(404);
  }

  @Test
  void theBuilderRejectsBadInputNamingIt() {
    assertThatThrownBy(() -> ServiceKitServer.builder().port(70000)).hasMessageContaining("70000");
    assertThatThrownBy(() -> ServiceKitServer.builder().route("nope", null))
        .hasMessageContaining("nope");
  }
}
