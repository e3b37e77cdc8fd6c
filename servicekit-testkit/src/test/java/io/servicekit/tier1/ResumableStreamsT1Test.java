package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.Rejection;
import io.servicekit.Request;
import io.servicekit.internal.driver.SseConnection;
import io.servicekit.sse.AtomicIdGen;
import io.servicekit.sse.MemoryEventStore;
import io.servicekit.sse.ResumableStreams;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseParser;
import io.servicekit.sse.StoredEvent;
import io.servicekit.testkit.FakeRequest;
import io.servicekit.testkit.MemoryStream;
import io.servicekit.testkit.VirtualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Tier 1: resumption on virtual time (moved from servicekit-core): ids, storage, replay after
 * Last-Event-ID, resync, isolation, atomic join.
 */
class ResumableStreamsT1Test {
  /** Readable ids "1", "2", ... for these replay tests; the default ids carry an epoch. */
  private static ResumableStreams.Builder numbered() {
    return ResumableStreams.builder().idGen(new AtomicIdGen());
  }

  private final VirtualScheduler time = new VirtualScheduler();

  /** A connected client; its readers first run what is due, then read what was written. */
  private record Client(
      VirtualScheduler time, SseProbe conn, SseConnection<Object> connection, MemoryStream wire) {
    List<SseParser.Event> events() {
      time.runUntilIdle();
      return SseParser.parse(wire.text());
    }

    List<String> ids() {
      return events().stream().map(SseParser.Event::id).toList();
    }

    String text() {
      time.runUntilIdle();
      return wire.text();
    }
  }

  private static Request get(String path) {
    return FakeRequest.builder().path(path).build();
  }

  private Client connect(ResumableStreams streams, String path, String lastEventId) {
    SseConfig config = SseConfig.builder().scheduler(time).resumable(streams).build();
    SseProbe conn = new SseProbe();
    SseConnection<Object> c = new SseConnection<>(conn, config, get(path), lastEventId);
    MemoryStream t = new MemoryStream();
    c.open(t);
    time.runUntilIdle();
    assertThat(t.writes()).as("the header flush").isGreaterThanOrEqualTo(1);
    return new Client(time, conn, c, t);
  }

  @Test
  void sendAssignsIdsStoresAndDeliversToTheWholeStream() {
    ResumableStreams streams = numbered().build();
    Client a = connect(streams, "/feed", null);
    Client b = connect(streams, "/feed", null);
    Client other = connect(streams, "/other", null);
    assertThat(a.connection().sendEvent("tick", 1)).isTrue();
    assertThat(b.connection().send(2)).isTrue();
    assertThat(a.ids()).containsExactly("1", "2");
    assertThat(b.ids()).containsExactly("1", "2");
    assertThat(other.ids()).isEmpty();
    assertThat(streams.store().events("/feed"))
        .extracting(StoredEvent::id)
        .containsExactly("1", "2");
    assertThat(a.connection().streamId()).hasValue("/feed");
    assertThat(streams.liveCount("/feed")).isEqualTo(2);
  }

  @Test
  void reconnectReplaysExactlyTheEventsAfterTheLastIdThenLiveOnes() {
    ResumableStreams streams = numbered().build();
    for (int i = 1; i <= 5; i++) {
      streams.publish("/feed", SseEvent.named("tick", "n" + i));
    }
    Client c = connect(streams, "/feed", "2");
    streams.publish("/feed", SseEvent.named("tick", "n6"));
    assertThat(c.ids()).containsExactly("3", "4", "5", "6");
    assertThat(c.events())
        .extracting(SseParser.Event::data)
        .containsExactly("n3", "n4", "n5", "n6");
  }

  @Test
  void newestIdReplaysNothingAndOldestRetainedReplaysTheRest() {
    ResumableStreams streams = numbered().store(new MemoryEventStore(3)).build();
    for (int i = 1; i <= 5; i++) {
      streams.publish("/feed", SseEvent.of("n" + i));
    }
    assertThat(connect(streams, "/feed", "5").ids()).isEmpty();
    assertThat(connect(streams, "/feed", "3").ids()).containsExactly("4", "5");
  }

  @Test
  void anEvictedIdGetsOneResyncEventCarryingTheNewestId() {
    ResumableStreams streams = numbered().store(new MemoryEventStore(3)).build();
    for (int i = 1; i <= 5; i++) {
      streams.publish("/feed", SseEvent.of("n" + i));
    }
    Client c = connect(streams, "/feed", "1");
    assertThat(c.events())
        .containsExactly(
            new SseParser.Event(
                "resync",
                "{\"lastEventId\":\"1\",\"reason\":\"unknown or expired Last-Event-ID\"}",
                "5",
                "5",
                -1));
    streams.publish("/feed", SseEvent.of("n6"));
    assertThat(c.ids()).containsExactly("5", "6");
  }

  @Test
  void garbageAndOtherStreamsIdsNeverReplayAnotherStream() {
    ResumableStreams streams = numbered().build();
    String secret = streams.publish("/alice", SseEvent.of("alice's secret"));
    streams.publish("/alice", SseEvent.of("more of alice"));
    Client bob = connect(streams, "/bob", secret);
    Client garbage = connect(streams, "/bob", "<script>");
    assertThat(bob.events())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.type()).isEqualTo("resync");
              assertThat(e.id()).as("bob's stream is empty").isNull();
            });
    assertThat(bob.text()).doesNotContain("alice");
    assertThat(garbage.events()).extracting(SseParser.Event::type).containsExactly("resync");
  }

  @Test
  void replayAllPolicyIsTheUpstreamFallback() {
    ResumableStreams streams =
        numbered().unknownIdPolicy(ResumableStreams.UnknownIdPolicy.REPLAY_ALL).build();
    streams.publish("/feed", SseEvent.of("a"));
    streams.publish("/feed", SseEvent.of("b"));
    assertThat(connect(streams, "/feed", "zzz").ids()).containsExactly("1", "2");
  }

  @Test
  void twoTabsWithTheSameLastIdGetTheSameReplay() {
    ResumableStreams streams = numbered().build();
    for (int i = 1; i <= 4; i++) {
      streams.publish("/feed", SseEvent.of("n" + i));
    }
    Client tab1 = connect(streams, "/feed", "2");
    Client tab2 = connect(streams, "/feed", "2");
    streams.publish("/feed", SseEvent.of("n5"));
    assertThat(tab1.ids()).containsExactly("3", "4", "5");
    assertThat(tab2.ids()).containsExactly("3", "4", "5");
  }

  @Test
  void directSendsCommentsAndRetryAreNotStored() {
    ResumableStreams streams = numbered().build();
    Client c = connect(streams, "/feed", null);
    c.connection().sendDirect(SseEvent.named("hello", "only you"));
    c.connection().sendComment("hi");
    c.connection().sendRetry(Duration.ofMillis(100));
    assertThat(streams.store().events("/feed")).isEmpty();
    assertThat(c.text()).isEqualTo("event: hello\ndata: only you\n\n: hi\n\nretry: 100\n\n");
  }

  @Test
  void closedConnectionsLeaveTheLiveSet() {
    ResumableStreams streams = numbered().build();
    Client a = connect(streams, "/feed", null);
    Client b = connect(streams, "/feed", null);
    a.connection().close();
    b.connection().onTransportFailure(new RuntimeException("gone"));
    time.runUntilIdle();
    assertThat(streams.liveCount("/feed")).isZero();
    streams.publish("/feed", SseEvent.of("after"));
    assertThat(a.text()).isEmpty();
    assertThat(streams.store().events("/feed")).hasSize(1);
  }

  @Test
  void streamIdFunctionCanRefuse() {
    ResumableStreams streams =
        numbered()
            .streamId(r -> r.header("X-User").orElseThrow(() -> Rejection.of(401, "who?")))
            .build();
    SseConfig config = SseConfig.builder().scheduler(time).resumable(streams).build();
    assertThatThrownBy(() -> new SseConnection<>(new SseProbe(), config, get("/"), null))
        .isInstanceOf(Rejection.class);
    assertThat(streams.streamIdFor(FakeRequest.builder().path("/").header("X-User", "ann").build()))
        .isEqualTo("ann");
  }

  /**
   * The one test here with a second thread: a publisher races the joins (the atomicity under test
   * is ResumableStreams' own). Driver tasks still run only on the test thread, in {@code
   * runUntilIdle}; the publisher only queues them.
   */
  @Test
  void joinIsAtomicWithPublishingNoLossNoDuplicates() throws Exception {
    ResumableStreams streams = numbered().build();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger published = new AtomicInteger();
    Thread publisher =
        Thread.ofPlatform()
            .start(
                () -> {
                  while (!stop.get() && published.get() < 800) {
                    streams.publish("/feed", SseEvent.of("x"));
                    published.incrementAndGet();
                  }
                });
    List<Client> clients = new ArrayList<>();
    List<Long> anchors = new ArrayList<>();
    while (published.get() < 700 && clients.size() < 40) {
      int now = published.get();
      if (now < 1) {
        Thread.onSpinWait();
        continue;
      }
      String anchor = Integer.toString(Math.max(1, now - 3));
      anchors.add(Long.parseLong(anchor));
      clients.add(connect(streams, "/feed", anchor));
    }
    stop.set(true);
    publisher.join();
    int total = published.get();
    for (int i = 0; i < clients.size(); i++) {
      List<Long> got = clients.get(i).ids().stream().map(Long::parseLong).toList();
      long from = anchors.get(i) + 1;
      List<Long> expected = new ArrayList<>();
      for (long id = from; id <= total; id++) {
        expected.add(id);
      }
      assertThat(got).as("client %d resumed after %d", i, anchors.get(i)).isEqualTo(expected);
    }
  }
}
