package io.servicekit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.servicekit.channel.Presence;
import io.servicekit.channel.PresenceListener;
import io.servicekit.channel.PresenceMember;
import io.servicekit.testkit.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Presence between nodes on their own RedisBroker connections to a real redis-server. */
class PresenceRedisTest {
  static final Duration HEARTBEAT = Duration.ofMillis(200);
  static final Duration TTL = Duration.ofSeconds(1);

  /** Generous: the machine is busy; expiry itself is asserted to take at least the TTL. */
  static final Duration WAIT = Duration.ofSeconds(20);

  private RedisServer redis;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void startRedis() throws Exception {
    assumeTrue(
        RedisServer.binary().isPresent() || RedisServer.required(),
        "no redis-server on the PATH: Redis tests skipped");
    redis = RedisServer.start();
  }

  @AfterEach
  void stopAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  private RedisBroker broker() {
    RedisBroker b =
        RedisBroker.builder(redis.uri()).reconnectDelay(Duration.ofMillis(100)).connect();
    open.add(b);
    return b;
  }

  private Presence node(RedisBroker broker, String id) {
    Presence p =
        Presence.builder().broker(broker, "p").heartbeat(HEARTBEAT).nodeTtl(TTL).nodeId(id).build();
    open.add(p);
    return p;
  }

  static final class Events implements PresenceListener {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Override
    public void onJoin(String channel, PresenceMember member) {
      seen.add("join " + channel + " " + member.user());
    }

    @Override
    public void onLeave(String channel, String user) {
      seen.add("leave " + channel + " " + user);
    }
  }

  @Test
  void twoNodesSeeEachOthersMembersAndACleanCloseLeavesAtOnce() {
    Presence a = node(broker(), "a");
    Presence b = node(broker(), "b");
    Events onB = new Events();
    b.onChange(onB);
    a.join("room", "alice", "a1");
    a.join("room", "alice", "a2");
    b.join("room", "alice", "b1");
    b.join("room", "bob", "b2");
    List<PresenceMember> all =
        List.of(new PresenceMember("alice", 3), new PresenceMember("bob", 1));
    await().atMost(WAIT).until(() -> a.members("room").equals(all));
    await().atMost(WAIT).until(() -> b.members("room").equals(all));
    assertThat(onB.seen).containsExactly("join room alice", "join room bob");
    b.leave("room", "bob", "b2");
    await().atMost(WAIT).until(() -> a.members("room").size() == 1);
    // Close: a's entries leave b at once, without waiting for the TTL.
    long start = System.nanoTime();
    a.close();
    await()
        .atMost(WAIT)
        .until(() -> b.members("room").equals(List.of(new PresenceMember("alice", 1))));
    assertThat(onB.seen).containsExactly("join room alice", "join room bob", "leave room bob");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(WAIT);
    assertThat(b.stats().expiredNodes()).isZero();
    b.leave("room", "alice", "b1");
    await().atMost(WAIT).until(() -> onB.seen.contains("leave room alice"));
  }

  @Test
  void aNodeWhoseBrokerConnectionDiesExpiresAfterTheTtl() {
    RedisBroker brokerA = broker();
    Presence a = node(brokerA, "a");
    Presence b = node(broker(), "b");
    Events onB = new Events();
    b.onChange(onB);
    a.join("room", "alice", "a1");
    b.join("room", "bob", "b1");
    await().atMost(WAIT).until(() -> b.members("room").size() == 2);
    // The node dies without a goodbye: its connections to Redis are gone, it keeps trying.
    long killed = System.nanoTime();
    brokerA.close();
    await().atMost(WAIT).until(() -> onB.seen.contains("leave room alice"));
    Duration took = Duration.ofNanos(System.nanoTime() - killed);
    assertThat(took).isGreaterThanOrEqualTo(TTL.minus(HEARTBEAT));
    assertThat(b.members("room")).containsExactly(new PresenceMember("bob", 1));
    assertThat(b.stats().expiredNodes()).isEqualTo(1);
    assertThat(b.stats().remoteNodes()).isZero();
    await().atMost(WAIT).until(() -> a.stats().publishFailures() > 0);
  }

  @Test
  void aNodeThatStartsLateLearnsTheOthersAtOnce() {
    Presence a = node(broker(), "a");
    a.join("room", "alice", "a1");
    Presence b =
        Presence.builder()
            .broker(broker(), "p")
            .heartbeat(Duration.ofMinutes(1)) // so only the hello can teach it
            .nodeTtl(Duration.ofMinutes(2))
            .nodeId("b")
            .build();
    open.add(b);
    await()
        .atMost(WAIT)
        .until(() -> b.members("room").equals(List.of(new PresenceMember("alice", 1))));
  }
}
