package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.broker.Broker;
import io.servicekit.broker.MemoryBroker;
import io.servicekit.channel.Presence;
import io.servicekit.channel.PresenceListener;
import io.servicekit.channel.PresenceMember;
import io.servicekit.testkit.VirtualScheduler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Presence on virtual time over an in-process broker that the test can make drop messages. */
class PresenceT1Test {
  static final Duration HEARTBEAT = Duration.ofSeconds(5);
  static final Duration TTL = Duration.ofSeconds(15);

  /** A MemoryBroker whose deliveries the test can drop, and which counts what was published. */
  static final class LossyBroker implements Broker {
    final MemoryBroker inner;
    volatile Predicate<String> drop = m -> false;
    final List<String> published = new ArrayList<>();

    LossyBroker(int maxPayload) {
      inner = new MemoryBroker(maxPayload);
    }

    @Override
    public CompletionStage<Void> publish(String topic, byte[] payload) {
      String text = new String(payload, StandardCharsets.UTF_8);
      synchronized (published) {
        published.add(text);
      }
      if (drop.test(text)) {
        Broker.checkSize(topic, payload.length, inner.maxPayloadBytes());
        return CompletableFuture.completedStage(null);
      }
      return inner.publish(topic, payload);
    }

    @Override
    public Subscription subscribe(String topic, Listener listener) {
      return inner.subscribe(topic, listener);
    }

    @Override
    public Subscription subscribePattern(String pattern, Listener listener) {
      return inner.subscribePattern(pattern, listener);
    }

    @Override
    public int maxPayloadBytes() {
      return inner.maxPayloadBytes();
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  /** Records events as "join c user n" / "leave c user". */
  static final class Events implements PresenceListener {
    final List<String> seen = new ArrayList<>();

    @Override
    public void onJoin(String channel, PresenceMember member) {
      seen.add("join " + channel + " " + member.user() + " " + member.connections());
    }

    @Override
    public void onLeave(String channel, String user) {
      seen.add("leave " + channel + " " + user);
    }
  }

  static Presence node(Broker broker, VirtualScheduler time, String id) {
    return Presence.builder()
        .broker(broker, "app")
        .scheduler(time)
        .heartbeat(HEARTBEAT)
        .nodeTtl(TTL)
        .nodeId(id)
        .build();
  }

  @Test
  void localJoinsLeavesAndCounts() {
    Presence p = Presence.local();
    Events events = new Events();
    p.onChange(events);
    assertThat(p.join("room", "bob", "c1")).isTrue();
    assertThat(p.join("room", "alice", "c2")).isTrue();
    assertThat(p.join("room", "alice", "c3")).isTrue();
    assertThat(p.join("room", "alice", "c3")).isTrue(); // idempotent per connection
    assertThat(p.members("room"))
        .containsExactly(new PresenceMember("alice", 2), new PresenceMember("bob", 1));
    p.leave("room", "alice", "c2");
    p.leave("room", "alice", "c2"); // idempotent
    p.leave("room", "nobody", "c9"); // never joined
    assertThat(p.members("room"))
        .containsExactly(new PresenceMember("alice", 1), new PresenceMember("bob", 1));
    p.leave("room", "alice", "c3");
    p.leave("room", "bob", "c1");
    assertThat(p.members("room")).isEmpty();
    assertThat(events.seen)
        .containsExactly(
            "join room bob 1", "join room alice 1", "leave room alice", "leave room bob");
    assertThat(p.stats().channels()).isZero();
    assertThat(p.stats().localConnections()).isZero();
    p.close();
    p.close();
    assertThat(p.members("room")).isEmpty();
    assertThatThrownBy(() -> p.join("room", "bob", "c1"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void badInputIsRefusedNamingTheRuleAndValue() {
    Presence p = Presence.local();
    assertThatThrownBy(() -> p.join("room", "", "c1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("user must be 1-200 characters, was 0 characters");
    assertThatThrownBy(() -> p.join("a b", "alice", "c1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("channel must not contain")
        .hasMessageContaining("a b");
    assertThatThrownBy(() -> p.join("room", "al\nice", "c1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("control characters");
    assertThatThrownBy(() -> p.join("room", "alice", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("connectionId must be non-empty");
    p.join("room", "alice", "c1");
    assertThatThrownBy(() -> p.join("room", "bob", "c1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("already joined channel room as user alice, not bob");
    assertThatThrownBy(() -> p.leave("room", "bob", "c1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("as user alice, not bob");
    assertThatThrownBy(() -> p.members(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("channel must be 1-200 characters");
    assertThatThrownBy(
            () ->
                Presence.builder()
                    .heartbeat(Duration.ofSeconds(5))
                    .nodeTtl(Duration.ofSeconds(5))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nodeTtl must be longer than the heartbeat (PT5S), was PT5S");
    assertThatThrownBy(() -> Presence.builder().nodeId("a b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nodeId must be 1-64 characters of [A-Za-z0-9._:-], was \"a b\"");
    assertThatThrownBy(() -> Presence.builder().maxMembersPerChannel(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxMembersPerChannel must be at least 1, was 0");
    assertThatThrownBy(() -> Presence.builder().broker(new MemoryBroker(1000), "app").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxPayloadBytes must be at least 4096 for presence, was 1000");
    assertThatThrownBy(() -> Presence.builder().broker(Broker.inMemory(), "a*"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("topicPrefix must not contain *");
    p.close();
  }

  @Test
  void boundsRefuseLocalJoins() {
    Presence p = Presence.builder().maxMembersPerChannel(2).maxChannels(2).build();
    assertThat(p.join("a", "u1", "c1")).isTrue();
    assertThat(p.join("a", "u2", "c2")).isTrue();
    assertThat(p.join("a", "u3", "c3")).isFalse();
    assertThat(p.join("a", "u1", "c4")).isTrue(); // a member's second connection still fits
    assertThat(p.join("b", "u1", "c1")).isTrue();
    assertThat(p.join("c", "u1", "c1")).isFalse();
    assertThat(p.members("a"))
        .containsExactly(new PresenceMember("u1", 2), new PresenceMember("u2", 1));
    assertThat(p.stats().refusedJoins()).isEqualTo(2);
    p.leave("b", "u1", "c1");
    assertThat(p.join("c", "u1", "c1")).isTrue(); // room again
    p.close();
  }

  @Test
  void aListenerAddedLateFirstGetsTheCurrentMembers() {
    Presence p = Presence.local();
    p.join("room", "alice", "c1");
    p.join("room", "alice", "c2");
    Events events = new Events();
    Broker.Subscription sub = p.onChange(events);
    p.leave("room", "alice", "c1");
    p.leave("room", "alice", "c2");
    assertThat(events.seen).containsExactly("join room alice 2", "leave room alice");
    sub.close();
    p.join("room", "bob", "c3");
    assertThat(events.seen).hasSize(2);
    p.close();
  }

  @Test
  void twoNodesSumConnectionsAndJoinOnlyOnTheFirst() {
    VirtualScheduler time = new VirtualScheduler();
    LossyBroker broker = new LossyBroker(Broker.DEFAULT_MAX_PAYLOAD_BYTES);
    Presence a = node(broker, time, "a");
    Presence b = node(broker, time, "b");
    Events onB = new Events();
    b.onChange(onB);
    a.join("room", "alice", "a1");
    b.join("room", "alice", "b1");
    b.join("room", "bob", "b2");
    time.runUntilIdle();
    assertThat(a.members("room"))
        .containsExactly(new PresenceMember("alice", 2), new PresenceMember("bob", 1));
    assertThat(b.members("room")).isEqualTo(a.members("room"));
    a.leave("room", "alice", "a1");
    assertThat(b.members("room"))
        .containsExactly(new PresenceMember("alice", 1), new PresenceMember("bob", 1));
    b.leave("room", "alice", "b1");
    assertThat(a.members("room")).containsExactly(new PresenceMember("bob", 1));
    assertThat(onB.seen)
        .containsExactly("join room alice 1", "join room bob 1", "leave room alice");
    assertThat(a.stats().remoteNodes()).isEqualTo(1);
    a.close();
    b.close();
  }

  @Test
  void aSilentNodeExpiresAfterTheTtl() {
    VirtualScheduler timeA = new VirtualScheduler(); // never advanced: a goes silent
    VirtualScheduler timeB = new VirtualScheduler();
    LossyBroker broker = new LossyBroker(Broker.DEFAULT_MAX_PAYLOAD_BYTES);
    Presence a = node(broker, timeA, "a");
    Presence b = node(broker, timeB, "b");
    Events onB = new Events();
    b.onChange(onB);
    a.join("room", "alice", "a1");
    b.join("room", "bob", "b1");
    assertThat(b.members("room"))
        .containsExactly(new PresenceMember("alice", 1), new PresenceMember("bob", 1));
    timeB.advanceBy(TTL.minus(Duration.ofSeconds(1)));
    assertThat(b.members("room")).hasSize(2); // not yet
    timeB.advanceBy(HEARTBEAT.plus(Duration.ofSeconds(1)));
    assertThat(b.members("room")).containsExactly(new PresenceMember("bob", 1));
    assertThat(onB.seen)
        .containsExactly("join room alice 1", "join room bob 1", "leave room alice");
    assertThat(b.stats().expiredNodes()).isEqualTo(1);
    assertThat(b.stats().remoteNodes()).isZero();
    // It comes back: its next heartbeat restores its entries.
    timeA.advanceBy(HEARTBEAT);
    assertThat(b.members("room"))
        .containsExactly(new PresenceMember("alice", 1), new PresenceMember("bob", 1));
    a.close();
    b.close();
  }

  @Test
  void theHeartbeatSnapshotHealsALostDelta() {
    VirtualScheduler time = new VirtualScheduler();
    LossyBroker broker = new LossyBroker(Broker.DEFAULT_MAX_PAYLOAD_BYTES);
    Presence a = node(broker, time, "a");
    Presence b = node(broker, time, "b");
    time.runUntilIdle();
    broker.drop = m -> m.contains("\"type\":\"delta\"");
    a.join("room", "alice", "a1");
    a.join("room", "carol", "a2");
    assertThat(b.members("room")).isEmpty();
    time.advanceBy(HEARTBEAT);
    assertThat(b.members("room"))
        .containsExactly(new PresenceMember("alice", 1), new PresenceMember("carol", 1));
    a.leave("room", "alice", "a1"); // lost too
    assertThat(b.members("room")).hasSize(2);
    time.advanceBy(HEARTBEAT);
    assertThat(b.members("room")).containsExactly(new PresenceMember("carol", 1));
    a.close();
    b.close();
  }

  @Test
  void aNewNodeLearnsTheOthersAtOnceAndACleanCloseLeavesAtOnce() {
    VirtualScheduler time = new VirtualScheduler();
    LossyBroker broker = new LossyBroker(Broker.DEFAULT_MAX_PAYLOAD_BYTES);
    Presence a = node(broker, time, "a");
    a.join("room", "alice", "a1");
    Presence b = node(broker, time, "b"); // its hello makes a send a snapshot
    time.runUntilIdle();
    assertThat(b.members("room")).containsExactly(new PresenceMember("alice", 1));
    Events onB = new Events();
    b.onChange(onB);
    a.close();
    assertThat(b.members("room")).isEmpty();
    assertThat(onB.seen).containsExactly("join room alice 1", "leave room alice");
    assertThat(b.stats().remoteNodes()).isZero();
    assertThat(b.stats().expiredNodes()).isZero();
    b.close();
  }

  @Test
  void aBigSnapshotIsSplitWithinThePayloadLimit() {
    VirtualScheduler time = new VirtualScheduler();
    LossyBroker broker = new LossyBroker(Presence.MIN_PAYLOAD_BYTES);
    Presence a = node(broker, time, "a");
    String pad = "é".repeat(150);
    for (int i = 0; i < 300; i++) {
      assertThat(a.join("room-" + (i % 3), pad + i, "c" + i)).isTrue();
    }
    broker.published.clear();
    Presence b = node(broker, time, "b");
    time.runUntilIdle();
    for (int c = 0; c < 3; c++) {
      assertThat(b.members("room-" + c)).hasSize(100);
    }
    long parts = broker.published.stream().filter(m -> m.contains("\"type\":\"snap\"")).count();
    assertThat(parts).isGreaterThan(20);
    assertThat(broker.published)
        .allSatisfy(
            m ->
                assertThat(m.getBytes(StandardCharsets.UTF_8).length)
                    .isLessThanOrEqualTo(Presence.MIN_PAYLOAD_BYTES));
    // A lost part: the incomplete snapshot is not applied, the next one is.
    a.leave("room-0", pad + 0, "c0");
    broker.drop = m -> m.contains("\"part\":3,");
    b.close();
    Presence c = node(broker, time, "c");
    time.runUntilIdle();
    int seen = c.members("room-0").size() + c.members("room-1").size();
    broker.drop = m -> false;
    time.advanceBy(HEARTBEAT);
    assertThat(c.members("room-0")).hasSize(99);
    assertThat(c.members("room-1")).hasSize(100);
    assertThat(seen).isLessThan(199); // what reached c before the lost part
    a.close();
    c.close();
  }

  @Test
  void aMisbehavingNodeCannotGrowMemoryPastTheBounds() {
    VirtualScheduler time = new VirtualScheduler();
    LossyBroker broker = new LossyBroker(Broker.DEFAULT_MAX_PAYLOAD_BYTES);
    Presence big = node(broker, time, "big");
    Presence small =
        Presence.builder()
            .broker(broker, "app")
            .scheduler(time)
            .heartbeat(HEARTBEAT)
            .nodeTtl(TTL)
            .maxMembersPerChannel(10)
            .maxChannels(2)
            .nodeId("small")
            .build();
    for (int i = 0; i < 50; i++) {
      big.join("room", "u" + i, "c" + i);
      big.join("other-" + i, "u" + i, "c" + i);
    }
    time.advanceBy(HEARTBEAT); // snapshots too
    // Which entries are kept is the snapshot's order; how many is the bound.
    assertThat(small.stats().channels()).isEqualTo(2);
    assertThat(small.stats().members()).isBetween(2, 20);
    assertThat(small.stats().droppedRemote()).isGreaterThan(0);
    // Garbage on the topic is dropped and counted, not fatal.
    long dropped = small.stats().droppedRemote();
    broker.publish("app.presence", "not json".getBytes(StandardCharsets.UTF_8));
    broker.publish(
        "app.presence",
        "{\"type\":\"delta\",\"node\":\"x\",\"channel\":\"a b\",\"user\":\"u\",\"connections\":1}"
            .getBytes(StandardCharsets.UTF_8));
    assertThat(small.stats().droppedRemote()).isGreaterThanOrEqualTo(dropped + 2);
    big.close();
    small.close();
  }
}
