package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.Codec;
import io.servicekit.JsonCodec;
import io.servicekit.MessageRejectedException;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.testkit.TestWsClient;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MessageRejectedTest {
  /** Accepts only objects with a "type"; refuses the rest without closing. */
  static final class Picky implements WsListener<Object, Object> {
    @Override
    public Codec<Object, Object> codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public void onMessage(WsSession<Object> session, Object message) {
      if (!(message instanceof Map<?, ?> m) || !(m.get("type") instanceof String type)) {
        throw new MessageRejectedException("a message needs a string \"type\"");
      }
      session.send(Map.of("ok", type));
    }
  }

  @Test
  void aRejectedMessageIsAnsweredWithTheErrorEnvelopeAndReadingGoesOn() throws Exception {
    try (ServiceKitServer server =
            ServiceKitServer.builder().port(0).ws("/ws", r -> new Picky()).build().start();
        TestWsClient client = TestWsClient.connect(server.wsUri("/ws"))) {
      client.sendText("[1,2]");
      assertThat(client.awaitText())
          .isEqualTo("{\"error\":\"a message needs a string \\\"type\\\"\",\"type\":\"error\"}");
      client.sendText("{\"type\":\"hello\"}");
      assertThat(client.awaitJson()).isEqualTo(Map.of("ok", "hello"));
      client.sendText("{broken");
      assertThat(client.awaitClose().code()).as("other errors still close").isEqualTo(1007);
    }
  }
}
