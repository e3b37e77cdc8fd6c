package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.HandshakeRequest;
import io.servicekit.JsonConn;
import io.servicekit.WsConnConfig;
import io.servicekit.testkit.TestWsClient;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PathParamsTest {
  @Test
  void uriTemplateParametersReachValidate() throws Exception {
    CompletableFuture<HandshakeRequest> seen = new CompletableFuture<>();
    try (ServiceKitServer server =
            ServiceKitServer.builder()
                .port(0)
                .ws(
                    "/games/{game}/players/{player}",
                    request -> {
                      seen.complete(request);
                      return new JsonConn();
                    },
                    WsConnConfig.defaults())
                .build()
                .start();
        TestWsClient client =
            TestWsClient.connect(server.wsUri("/games/g%201/players/ren%C3%A9e?x=1"))) {
      HandshakeRequest request = seen.get(10, TimeUnit.SECONDS);
      assertThat(request.pathParams()).isEqualTo(Map.of("game", "g 1", "player", "ren\u00e9e"));
      assertThat(request.pathParam("game")).contains("g 1");
      assertThat(request.queryParam("x")).contains("1");
    }
  }
}
