package io.servicekit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.broker.Broker;
import io.servicekit.broker.BrokerUnavailableException;
import io.servicekit.broker.ControlledBroker;
import io.servicekit.internal.driver.WsConnection;
import io.servicekit.testkit.FakeRequest;
import io.servicekit.testkit.MemoryWs;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** A clustered hub whose broker is down, fails after delivery, or lost its subscription. */
class HubFaultTest {
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
  void aBrokerKnownToBeDownRefusesEveryClusteredSendBeforeAnyMemberGetsIt() {
    ControlledBroker broker = new ControlledBroker();
    Hub<Object> hub = new Hub<>();
    hub.cluster(broker, "chat", JsonCodec.INSTANCE);
    Member a = member(hub);
    hub.join(a.conn(), "red");
    broker.up.set(false);
    assertThatThrownBy(() -> hub.broadcast("x"))
        .isInstanceOf(BrokerUnavailableException.class)
        .hasMessageContaining("hub chat")
        .hasMessageContaining("unavailable");
    assertThatThrownBy(() -> hub.broadcastToRoom("red", "x"))
        .isInstanceOf(BrokerUnavailableException.class);
    assertThatThrownBy(() -> hub.send("not-local", "x"))
        .isInstanceOf(BrokerUnavailableException.class);
    CompletableFuture<Integer> fate = hub.broadcastAsync("x").toCompletableFuture();
    assertThatThrownBy(fate::join)
        .cause()
        .isInstanceOf(BrokerUnavailableException.class)
        .satisfies(e -> assertThat(((BrokerUnavailableException) e).deliveredLocally()).isFalse());
    assertThat(a.received()).isEmpty();
    // A local member is still reachable by a targeted send: no broker is involved.
    assertThat(hub.send(a.conn().id(), "direct")).isTrue();
    broker.up.set(true);
    assertThat(hub.broadcastAsync("back").toCompletableFuture().join()).isEqualTo(1);
    assertThat(a.received()).containsExactly("\"direct\"", "\"back\"");
  }

  @Test
  void aBrokerFailureAfterLocalDeliveryFailsTheFateWithDeliveredLocally() {
    ControlledBroker broker = new ControlledBroker();
    Hub<Object> hub = new Hub<>();
    hub.cluster(broker, "chat", JsonCodec.INSTANCE);
    Member a = member(hub);
    hub.join(a.conn(), "red");
    CompletableFuture<Void> pending = new CompletableFuture<>();
    broker.nextResult.set(pending);
    CompletableFuture<Integer> fate = hub.broadcastToRoomAsync("red", "x").toCompletableFuture();
    assertThat(a.received()).containsExactly("\"x\"");
    assertThat(fate).isNotDone();
    pending.completeExceptionally(new IllegalStateException("connection reset"));
    assertThatThrownBy(fate::join)
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(BrokerUnavailableException.class)
        .hasMessageContaining("delivered on this node")
        .satisfies(e -> assertThat(((BrokerUnavailableException) e).deliveredLocally()).isTrue());
    assertThat(hub.stats()).isNotNull();
  }

  @Test
  void aGapSendsEveryLocalMemberOneResyncEnvelopeBypassingTheCodec() {
    ControlledBroker broker = new ControlledBroker();
    Hub<Object> hub = new Hub<>();
    Broker.Subscription clustered = hub.cluster(broker, "chat", JsonCodec.INSTANCE);
    Member a = member(hub);
    Member b = member(hub);
    broker.gap("Redis subscription connection lost for 42 ms", Duration.ofMillis(42));
    String expected =
        "{\"outageMs\":42,\"reason\":\"Redis subscription connection lost for 42 ms\","
            + "\"topic\":\"chat\",\"type\":\"resync\"}";
    assertThat(a.received()).containsExactly(expected);
    assertThat(b.received()).containsExactly(expected);
    clustered.close(); // detached: no more gap listener
    assertThat(broker.gapListeners()).isEmpty();
  }

  @Test
  void aFailedHandOverOwesTheOtherNodesAGapNoticeSentBeforeTheNextMessage() {
    ControlledBroker broker = new ControlledBroker();
    Hub<Object> node1 = new Hub<>();
    Hub<Object> node2 = new Hub<>();
    node1.cluster(broker, "chat", JsonCodec.INSTANCE);
    node2.cluster(broker, "chat", JsonCodec.INSTANCE);
    Member there = member(node2);
    broker.nextResult.set(CompletableFuture.failedFuture(new IllegalStateException("reset")));
    node1.broadcast("lost"); // delivered on node 1 only; node 2's subscription never broke
    assertThat(there.received()).isEmpty();
    node1.broadcast("next");
    assertThat(there.received())
        .containsExactly(
            "{\"outageMs\":0,\"reason\":\"another node could not hand messages to the broker\","
                + "\"topic\":\"chat\",\"type\":\"resync\"}",
            "\"next\"");
    node1.broadcast("then");
    assertThat(there.received()).hasSize(3).endsWith("\"then\""); // owed once, not again
  }
}
