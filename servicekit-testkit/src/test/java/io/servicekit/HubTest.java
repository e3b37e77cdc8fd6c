package io.servicekit;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.internal.driver.WsConnection;
import io.servicekit.testkit.FakeRequest;
import io.servicekit.testkit.MemoryWs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HubTest {
  private static final WsConfig CONFIG =
      WsConfig.builder().pingPeriod(Duration.ofHours(1)).pongPeriod(Duration.ofHours(1)).build();

  /** A started member over an in-memory transport. */
  private record Member(
      WsSession<Object> conn, MemoryWs transport, WsConnection<Object, Object> connection) {
    List<String> received() {
      return transport.sentTexts();
    }
  }

  private static Member start(WsListener<Object, Object> listener, WsConfig config) {
    WsConnection<Object, Object> c =
        new WsConnection<>(listener, config, FakeRequest.builder().host("h").build(), null);
    MemoryWs t = new MemoryWs(c);
    c.open(t);
    return new Member(c, t, c);
  }

  private static WsListener<Object, Object> json(String name) {
    return WsListener.json(name, (session, message) -> {});
  }

  /** A session whose connection was never opened. */
  private static WsSession<Object> unopened() {
    return new WsConnection<>(json("M"), CONFIG, FakeRequest.builder().host("h").build(), null);
  }

  private static Member member() {
    return start(json("M"), CONFIG);
  }

  @Test
  void registerNeedsAnOpenConnectionAndAUniqueId() {
    Hub<Object> hub = new Hub<>();
    assertThat(hub.register(unopened())).isFalse(); // never started
    Member a = member();
    assertThat(hub.register(a.conn())).isTrue();
    assertThat(hub.register(a.conn())).isFalse();
    assertThat(hub.size()).isEqualTo(1);
  }

  @Test
  void broadcastReachesEveryoneButTheExcludedMember() {
    Hub<Object> hub = new Hub<>();
    Member a = member();
    Member b = member();
    Member c = member();
    List.of(a, b, c).forEach(m -> hub.register(m.conn()));
    assertThat(hub.broadcast(Map.of("n", 1), b.conn().id())).isEqualTo(2);
    assertThat(a.received()).containsExactly("{\"n\":1}");
    assertThat(b.received()).isEmpty();
    assertThat(c.received()).containsExactly("{\"n\":1}");
    assertThat(hub.send(b.conn().id(), "direct")).isTrue();
    assertThat(b.received()).containsExactly("\"direct\"");
    assertThat(hub.send("nobody", "x")).isFalse();
    assertThat(hub.broadcastIf(m -> m == c.conn(), 2)).isEqualTo(1);
    assertThat(c.received()).containsExactly("{\"n\":1}", "2");
  }

  @Test
  void roomsScopeBroadcastsAndMembersLeaveEverythingWhenTheyClose() throws Exception {
    Hub<Object> hub = new Hub<>();
    Member a = member();
    Member b = member();
    Member c = member();
    List.of(a, b, c).forEach(m -> hub.register(m.conn()));
    hub.join(a.conn(), "red");
    hub.join(b.conn(), "red");
    hub.join(c.conn(), "blue");
    assertThat(hub.broadcastToRoom("red", "hi", a.conn().id())).isEqualTo(1);
    assertThat(b.received()).containsExactly("\"hi\"");
    assertThat(a.received()).isEmpty();
    assertThat(c.received()).isEmpty();

    b.connection().close(1000, "bye");
    b.conn().closeFuture().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(hub.members("red")).containsExactly(a.conn());
    assertThat(hub.size()).isEqualTo(2);
    assertThat(hub.broadcastToRoom("red", "again")).isEqualTo(1);

    hub.leave(a.conn(), "red");
    assertThat(hub.rooms()).containsExactly("blue");
    assertThat(hub.join(b.conn(), "red")).as("closed members cannot join").isFalse();
  }

  @Test
  void aSlowMemberIsClosedByItsOwnPolicyAndNeverDelaysTheOthers() {
    Hub<Object> hub = new Hub<>();
    WsConfig tiny = CONFIG.toBuilder().maxQueuedBytes(100).build();
    Member slow = start(json("slow"), tiny);
    slow.transport().holdWrites(); // never completes a write: a peer that does not read
    Member fast = member();
    hub.register(slow.conn());
    hub.register(fast.conn());
    String payload = "x".repeat(40);
    int deliveredToFast = 0;
    for (int i = 0; i < 50; i++) {
      hub.broadcast(payload);
      deliveredToFast = fast.received().size();
    }
    assertThat(deliveredToFast).isEqualTo(50);
    assertThat(slow.connection().isOpen()).isFalse();
    assertThat(hub.stats().refused()).isGreaterThan(0);
  }

  @Test
  void aBroadcastIsEncodedOncePerCodec() {
    AtomicInteger encodes = new AtomicInteger();
    Codec<Object, Object> counting =
        new Codec<>() {
          @Override
          public Object decode(Message frame) {
            return JsonCodec.INSTANCE.decode(frame);
          }

          @Override
          public Message encode(Object message) {
            encodes.incrementAndGet();
            return JsonCodec.INSTANCE.encode(message);
          }
        };
    Hub<Object> hub = new Hub<>();
    for (int i = 0; i < 20; i++) {
      Member m = start(WsListener.of(counting, "C", (session, message) -> {}), CONFIG);
      hub.register(m.conn());
    }
    Member other = member(); // JsonCodec.INSTANCE: a second codec
    hub.register(other.conn());
    assertThat(hub.broadcast("hello")).isEqualTo(21);
    assertThat(encodes.get()).isEqualTo(1);
  }

  @Test
  void theConnectionLimitIsEnforcedAndReportedInStats() {
    Hub<Object> hub = new Hub<>(2);
    assertThat(hub.register(member().conn())).isTrue();
    assertThat(hub.register(member().conn())).isTrue();
    assertThat(hub.register(member().conn())).isFalse();
    assertThat(hub.stats().connections()).isEqualTo(2);
    assertThat(hub.stats().maxConnections()).isEqualTo(2);
  }

  @Test
  void joinsLeavesAndClosesDuringBroadcastsAreSafe() throws Exception {
    Hub<Object> hub = new Hub<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch go = new CountDownLatch(1);
    List<Member> closedMembers = new ArrayList<>();
    try {
      Future<?> churn =
          pool.submit(
              () -> {
                go.await();
                for (int i = 0; i < 500; i++) {
                  Member m = member();
                  hub.register(m.conn());
                  hub.join(m.conn(), "room");
                  m.connection().close(1000, "bye");
                  m.conn().closeFuture().toCompletableFuture().join();
                  synchronized (closedMembers) {
                    closedMembers.add(m);
                  }
                }
                return null;
              });
      Future<?> broadcaster =
          pool.submit(
              () -> {
                go.await();
                for (int i = 0; i < 2000; i++) {
                  hub.broadcast(i);
                  hub.broadcastToRoom("room", i);
                }
                return null;
              });
      go.countDown();
      churn.get(30, TimeUnit.SECONDS);
      broadcaster.get(30, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertThat(hub.size()).isZero();
    assertThat(hub.rooms()).isEmpty();
    // Nothing was written after a member's close frame.
    for (Member m : closedMembers) {
      List<MemoryWs.Sent> w = m.transport().sent();
      assertThat(w.get(w.size() - 1)).isInstanceOf(MemoryWs.Sent.Close.class);
    }
  }
}
