package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.Codec;
import io.servicekit.JsonCodec;
import io.servicekit.Rejection;
import io.servicekit.Request;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.testkit.TestWsClient;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** URI-template path parameters reach validate, decoded, for WebSocket and SSE routes. */
class PathParamsTest {
  @Test
  void uriTemplateParametersReachValidate() throws Exception {
    CompletableFuture<Request> seen = new CompletableFuture<>();
    try (ServiceKitServer server =
            ServiceKitServer.builder()
                .port(0)
                .ws(
                    "/games/{game}/players/{player}",
                    request -> {
                      seen.complete(request);
                      return WsListener.json("JsonConn", (session, message) -> {});
                    },
                    WsConfig.defaults())
                .build()
                .start();
        TestWsClient client =
            TestWsClient.connect(server.wsUri("/games/g%201/players/ren%C3%A9e?x=1"))) {
      Request request = seen.get(10, TimeUnit.SECONDS);
      assertThat(request.pathParams()).isEqualTo(Map.of("game", "g 1", "player", "ren\u00e9e"));
      assertThat(request.pathParam("game")).contains("g 1");
      assertThat(request.queryParam("x")).contains("1");
    }
  }

  @Test
  void templateParametersReachValidateOnSseAndWebSocketRoutes() throws Exception {
    try (ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .sse(
                "/game/{id}/events",
                r -> {
                  throw Rejection.of(409, "game=" + r.pathParam("id").orElse("(missing)"));
                })
            .ws(
                "/rooms/{room}",
                r -> {
                  String room = r.pathParam("room").orElse("(missing)");
                  return new WsListener<Object, Object>() {
                    @Override
                    public Codec<Object, Object> codec() {
                      return JsonCodec.INSTANCE;
                    }

                    @Override
                    public void onOpen(WsSession<Object> session) {
                      session.send(room);
                    }

                    @Override
                    public void onMessage(WsSession<Object> session, Object message) {}
                  };
                },
                io.servicekit.WsConfig.builder()
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
