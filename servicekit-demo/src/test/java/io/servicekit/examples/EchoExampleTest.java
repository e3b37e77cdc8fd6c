package io.servicekit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import org.junit.jupiter.api.Test;

class EchoExampleTest {
  @Test
  void echoesJsonMessagesBack() throws Exception {
    try (ServiceKitServer server = EchoExample.server(0).start();
        TestWsClient client = TestWsClient.connect(server.wsUri(EchoExample.PATH))) {
      client.sendText("{\"hello\":\"world\",\"n\":[1,2.5,true,null]}");
      assertThat(client.awaitText()).isEqualTo("{\"hello\":\"world\",\"n\":[1,2.5,true,null]}");
      client.sendText("\"just a string\"");
      assertThat(client.awaitText()).isEqualTo("\"just a string\"");
      client.sendText("42");
      assertThat(client.awaitText()).isEqualTo("42");
    }
  }

  @Test
  void invalidJsonClosesWith1007AndAReason() throws Exception {
    try (ServiceKitServer server = EchoExample.server(0).start();
        TestWsClient client = TestWsClient.connect(server.wsUri(EchoExample.PATH))) {
      client.sendText("{not json");
      TestWsClient.Close close = client.awaitClose();
      assertThat(close.code()).isEqualTo(1007);
      assertThat(close.reason()).contains("invalid JSON");
      assertThat(client.drain()).isEmpty();
    }
  }
}
