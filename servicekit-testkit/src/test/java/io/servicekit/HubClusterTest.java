package io.servicekit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.broker.Broker;
import io.servicekit.broker.ControlledBroker;
import io.servicekit.broker.MemoryBroker;
import io.servicekit.broker.PayloadTooLargeException;
import io.servicekit.internal.driver.WsConnection;
import io.servicekit.testkit.FakeRequest;
import io.servicekit.testkit.MemoryWs;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Two hubs on one in-memory broker behave as two nodes of one hub. */
class HubClusterTest {
  private static final WsConfig CONFIG =
      WsConfig.builder().pingPeriod(Duration.ofHours(1)).pongPeriod(Duration.ofHours(1)).build();

  private record Member(WsSession<Object> conn, MemoryWs transport) {
    List<String> received() {
      return transport.sentTexts();
    }
  }

  private static Member member(Hub<Object> hub) {
    WsConnection<Object, Object> c =
        new WsConnection<>(
            WsListener.json("M", (session, message) -> {}),
            CONFIG,
            FakeRequest.builder().host("h").build(),
            null);
    MemoryWs t = new MemoryWs(c);
    c.open(t);
    assertThat(hub.register(c)).isTrue();
    return new Member(c, t);
  }

  @Test
  void broadcastsRoomsAndTargetedSendsCrossNodesOnceEach() {
    MemoryBroker broker = new MemoryBroker();
    Hub<Object> node1 = new Hub<>();
    Hub<Object> node2 = new Hub<>();
    node1.cluster(broker, "chat", JsonCodec.INSTANCE);
    node2.cluster(broker, "chat", JsonCodec.INSTANCE);
    assertThat(node1.nodeId()).isNotEqualTo(node2.nodeId());
    Member a = member(node1);
    Member b = member(node2);
    Member c = member(node2);
    node1.join(a.conn(), "red");
    node2.join(b.conn(), "red");

    assertThat(node1.broadcast("all")).isEqualTo(1); // local count
    assertThat(node2.broadcastToRoom("red", "red!", b.conn().id())).isZero();
    assertThat(node1.send(c.conn().id(), "to c")).isTrue(); // routed through the broker
    assertThat(node2.send(a.conn().id(), "to a")).isTrue();
    node1.broadcast("not a", a.conn().id());

    assertThat(a.received()).containsExactly("\"all\"", "\"red!\"", "\"to a\"");
    assertThat(b.received()).containsExactly("\"all\"", "\"not a\"");
    assertThat(c.received()).containsExactly("\"all\"", "\"to c\"", "\"not a\"");
  }

  @Test
  void oversizedMessagesAreRefusedBeforeAnyoneGetsThem() {
    MemoryBroker broker = new MemoryBroker(200);
    Hub<Object> node1 = new Hub<>();
    Hub<Object> node2 = new Hub<>();
    node1.cluster(broker, "chat", JsonCodec.INSTANCE);
    node2.cluster(broker, "chat", JsonCodec.INSTANCE);
    Member a = member(node1);
    Member b = member(node2);
    String big = "x".repeat(300);
    assertThatThrownBy(() -> node1.broadcast(big))
        .isInstanceOf(PayloadTooLargeException.class)
        .hasMessageContaining("chat.all")
        .hasMessageContaining("the limit (maxPayloadBytes) is 200");
    assertThat(a.received()).isEmpty();
    assertThat(b.received()).isEmpty();
  }

  @Test
  void aBrokerFailureLeavesLocalDeliveryIntactAndDetachingMakesTheHubLocal() {
    Hub<Object> node1 = new Hub<>();
    Broker failing =
        new ControlledBroker()
            .onPublish(
                (topic, payload, memory) -> {
                  throw new IllegalStateException("broker down");
                });
    Broker.Subscription link = node1.cluster(failing, "chat", JsonCodec.INSTANCE);
    assertThatThrownBy(() -> node1.cluster(failing, "chat", JsonCodec.INSTANCE))
        .isInstanceOf(IllegalStateException.class);
    Member a = member(node1);
    assertThat(node1.broadcast("still local")).isEqualTo(1);
    assertThat(a.received()).containsExactly("\"still local\"");
    link.close();
    assertThat(node1.nodeId()).isNull();
    assertThat(node1.send("elsewhere", "x")).isFalse();
  }

  @Test
  void hubsWhoseTopicsOverlapDoNotReceiveEachOthersMessages() {
    MemoryBroker broker = new MemoryBroker();
    Hub<Object> chat1 = new Hub<>();
    Hub<Object> chat2 = new Hub<>();
    Hub<Object> rooms1 = new Hub<>();
    chat1.cluster(broker, "chat", JsonCodec.INSTANCE);
    chat2.cluster(broker, "chat", JsonCodec.INSTANCE);
    rooms1.cluster(broker, "chat.room", JsonCodec.INSTANCE); // "chat.*" matches its topics
    Member a = member(chat2);
    chat2.join(a.conn(), "x");
    rooms1.broadcast("other hub");
    rooms1.broadcastToRoom("x", "other hub's room");
    chat1.broadcastToRoom("x", "mine");
    assertThat(a.received()).containsExactly("\"mine\"");
  }

  @Test
  void badTopicsAreRefused() {
    Hub<Object> hub = new Hub<>();
    MemoryBroker broker = new MemoryBroker();
    assertThatThrownBy(() -> hub.cluster(broker, "a*", JsonCodec.INSTANCE))
        .hasMessageContaining("must not contain *");
    assertThatThrownBy(() -> hub.cluster(broker, "", JsonCodec.INSTANCE))
        .hasMessageContaining("non-empty");
  }
}
