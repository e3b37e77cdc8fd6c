package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.HandshakeRejection;
import io.servicekit.JsonConn;
import io.servicekit.WsSession;
import io.servicekit.testkit.TestWsClient;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** URI-template path parameters reach validate, for WebSocket and SSE routes alike. */
class PathParamsTest {
  @Test
  void templateParametersReachValidate() throws Exception {
    try (ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .sse(
                "/game/{id}/events",
                r -> {
                  throw HandshakeRejection.of(409, "game=" + r.pathParam("id").orElse("(missing)"));
                })
            .ws(
                "/rooms/{room}",
                r -> {
                  String room = r.pathParam("room").orElse("(missing)");
                  return new JsonConn() {
                    @Override
                    public void onStart(WsSession session) {
                      sendOutput(room);
                    }
                  };
                },
                io.servicekit.WsConnConfig.builder()
                    .originPolicy(io.servicekit.OriginPolicy.allowAll())
                    .build())
            .build()
            .start()) {
      HttpResponse<String> sse =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(server.uri().resolve("/game/g42/events")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(sse.statusCode()).isEqualTo(409);
      assertThat(sse.body()).isEqualTo("game=g42");
      try (TestWsClient ws = TestWsClient.connect(server.wsUri("/rooms/lobby"))) {
        assertThat(ws.awaitText()).isEqualTo("\"lobby\"");
      }
    }
  }
}
