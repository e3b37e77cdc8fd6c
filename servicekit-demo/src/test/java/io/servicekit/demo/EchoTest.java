package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EchoTest {
  private static ServiceKitServer server;

  @BeforeAll
  static void start() throws Exception {
    server = DemoServer.create(0).start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  @Test
  void echoesTextAndBinaryVerbatim() {
    try (TestWsClient client = TestWsClient.connect(server.wsUri("/echo"))) {
      client.sendText("hello");
      assertThat(client.awaitText()).isEqualTo("hello");
      client.sendText("h\u00e9llo \u2603 \uD83D\uDE00");
      assertThat(client.awaitText()).isEqualTo("h\u00e9llo \u2603 \uD83D\uDE00");
      client.sendText("");
      assertThat(client.awaitText()).isEmpty();
      client.sendBinary(new byte[] {0, 1, 2, (byte) 0xff});
      assertThat(client.awaitBinary()).containsExactly(0, 1, 2, 0xff);
      // Not absorbed: on the echo endpoint a JSON pong is just text.
      client.sendText("{\"type\":\"pong\",\"pingId\":1}");
      assertThat(client.awaitText()).isEqualTo("{\"type\":\"pong\",\"pingId\":1}");
      client.close(1000, "done");
      assertThat(client.awaitClose().code()).isEqualTo(1000);
    }
  }

  @Test
  void echoesAOneMebibyteBinaryMessage() {
    byte[] payload = new byte[1 << 20];
    new Random(42).nextBytes(payload);
    try (TestWsClient client = TestWsClient.connect(server.wsUri("/echo"))) {
      client.sendBinary(payload);
      assertThat(client.awaitBinary()).isEqualTo(payload);
      String text = "x".repeat(1 << 20);
      client.sendText(text);
      assertThat(client.awaitText()).isEqualTo(text);
    }
  }

  @Test
  void answersProtocolPingsAndSendsNoHeartbeat() {
    try (TestWsClient client = TestWsClient.connect(server.wsUri("/echo"))) {
      client.sendPing(new byte[] {7});
      await().atMost(Duration.ofSeconds(10)).until(() -> client.pongsReceived() == 1);
      client.sendText("after");
      assertThat(client.awaitText()).isEqualTo("after");
      assertThat(client.drain()).isEmpty();
    }
  }

  @Test
  void acceptsAnyOrigin() {
    try (TestWsClient client =
        TestWsClient.builder(server.wsUri("/echo"))
            .header("Origin", "https://elsewhere.example")
            .connect()) {
      client.sendText("cross-site");
      assertThat(client.awaitText()).isEqualTo("cross-site");
    }
  }

  @Test
  void closesWith1009AboveSixteenMebibytes() {
    try (TestWsClient client = TestWsClient.connect(server.wsUri("/echo"))) {
      client.sendBinary(new byte[(int) EchoConn.MAX_MESSAGE_SIZE + 1]);
      assertThat(client.awaitClose().code()).isEqualTo(1009);
    }
  }
}
