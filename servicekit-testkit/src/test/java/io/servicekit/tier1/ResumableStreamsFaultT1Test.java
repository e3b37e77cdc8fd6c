package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.broker.BrokerUnavailableException;
import io.servicekit.broker.ControlledBroker;
import io.servicekit.internal.driver.SseConnection;
import io.servicekit.sse.AtomicIdGen;
import io.servicekit.sse.EventStore;
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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Tier 1 (moved from servicekit-core): what resumable streams do when the store or broker is slow,
 * down or reset: epochs in ids, reads that complete later, refused and failed publishes, broker
 * gaps, replays too big for the queue.
 */
class ResumableStreamsFaultT1Test {
  private final VirtualScheduler time = new VirtualScheduler();

  /** A connected client; its readers first run what is due, then read what was written. */
  private record Client(
      VirtualScheduler time, SseConnection<Object> connection, MemoryStream wire) {
    List<SseParser.Event> events() {
      time.runUntilIdle();
      return SseParser.parse(wire.text());
    }

    List<String> ids() {
      return events().stream().map(SseParser.Event::id).toList();
    }

    boolean ended() {
      time.runUntilIdle();
      return wire.ended();
    }
  }

  private Client connect(ResumableStreams streams, String lastEventId, long maxQueuedBytes) {
    SseConfig config =
        SseConfig.builder()
            .scheduler(time)
            .resumable(streams)
            .maxQueuedBytes(maxQueuedBytes)
            .build();
    SseConnection<Object> c =
        new SseConnection<>(
            new SseProbe(), config, FakeRequest.builder().path("/feed").build(), lastEventId);
    MemoryStream t = new MemoryStream();
    c.open(t);
    time.runUntilIdle();
    assertThat(t.writes()).as("the header flush").isGreaterThanOrEqualTo(1);
    return new Client(time, c, t);
  }

  private Client connect(ResumableStreams streams, String lastEventId) {
    return connect(streams, lastEventId, 16 << 20);
  }

  @Test
  void defaultIdsCarryAnEpochSoAnIdFromBeforeARestartGetsAResyncNotAWrongContinuation() {
    ResumableStreams before = ResumableStreams.inMemory();
    String first = before.publish("/feed", SseEvent.of("a"));
    String second = before.publish("/feed", SseEvent.of("b"));
    assertThat(first).matches("[0-9a-z]{8}-1");
    assertThat(second).isEqualTo(first.substring(0, 9) + "2");
    // "Restart": a new instance over a new memory store issues ids of another epoch...
    ResumableStreams after = ResumableStreams.inMemory();
    for (int i = 0; i < 3; i++) {
      assertThat(after.publish("/feed", SseEvent.of("new" + i)))
          .doesNotStartWith(first.substring(0, 9));
    }
    // ...so a client resuming with a pre-restart id is told to resync, not sent "new1", "new2".
    Client c = connect(after, first);
    assertThat(c.events()).hasSize(1);
    assertThat(c.events().get(0).type()).isEqualTo("resync");
    assertThat(c.events().get(0).data()).contains("unknown or expired Last-Event-ID");
  }

  @Test
  void aReplayLargerThanHalfTheQueueBudgetIsOneResyncAndTheStreamStaysOpen() {
    ResumableStreams streams = ResumableStreams.inMemory();
    String anchor = streams.publish("/feed", SseEvent.of("start"));
    for (int i = 0; i < 100; i++) {
      streams.publish("/feed", SseEvent.of("x".repeat(100)));
    }
    Client c = connect(streams, anchor, 8192); // replay ~11 KB > 4 KiB
    assertThat(c.events()).hasSize(1);
    assertThat(c.events().get(0).type()).isEqualTo("resync");
    assertThat(c.events().get(0).data()).contains("100 missed events").contains("replay budget");
    assertThat(c.connection().isOpen()).isTrue();
    String live = streams.publish("/feed", SseEvent.of("live"));
    assertThat(c.ids()).endsWith(live);
  }

  /** A store whose reads the test completes by hand; appends complete at once. */
  private static final class HeldReads extends CopyOnWriteArrayList<CompletableFuture<Void>>
      implements EventStore {
    private static final long serialVersionUID = 1L;
    final transient MemoryEventStore inner = new MemoryEventStore();

    @Override
    public void store(String streamId, StoredEvent event) {
      inner.store(streamId, event);
    }

    @Override
    public java.util.Optional<List<StoredEvent>> eventsAfter(String streamId, String id) {
      return inner.eventsAfter(streamId, id);
    }

    @Override
    public List<StoredEvent> events(String streamId) {
      return inner.events(streamId);
    }

    @Override
    public void trim(String streamId) {
      inner.trim(streamId);
    }

    @Override
    public CompletionStage<List<StoredEvent>> readAll(String streamId) {
      List<StoredEvent> snapshot = inner.events(streamId); // what the store had when asked
      CompletableFuture<Void> gate = new CompletableFuture<>();
      add(gate);
      return gate.thenApply(v -> snapshot);
    }
  }

  @Test
  void eventsPublishedWhileTheReplayIsReadFollowItInOrderOnce() {
    HeldReads store = new HeldReads();
    ResumableStreams streams =
        ResumableStreams.builder().store(store).idGen(new AtomicIdGen()).build();
    for (int i = 0; i < 3; i++) {
      streams.publish("/feed", SseEvent.of("old" + i));
    }
    Client c = connect(streams, "1");
    assertThat(c.ids()).isEmpty(); // the read is still under way
    streams.publish("/feed", SseEvent.of("during1"));
    streams.publish("/feed", SseEvent.of("during2"));
    assertThat(c.ids()).isEmpty();
    store.get(0).complete(null);
    assertThat(c.ids()).containsExactly("2", "3", "4", "5");
    streams.publish("/feed", SseEvent.of("after"));
    assertThat(c.ids()).containsExactly("2", "3", "4", "5", "6");
  }

  @Test
  void aStoreThatCannotBeReadEndsTheStreamSoTheClientRetriesWithItsIdNoResync() {
    HeldReads store = new HeldReads();
    ResumableStreams streams =
        ResumableStreams.builder().store(store).idGen(new AtomicIdGen()).build();
    streams.publish("/feed", SseEvent.of("a"));
    Client c = connect(streams, "1");
    store.get(0).completeExceptionally(new IllegalStateException("store down"));
    assertThat(c.ended()).isTrue();
    assertThat(c.events()).noneMatch(e -> "resync".equals(e.type()));
    assertThat(streams.liveCount("/feed")).isZero();
  }

  @Test
  void aBrokerKnownToBeDownRefusesTheEventBeforeAnyoneGetsIt() {
    ControlledBroker broker = new ControlledBroker();
    ResumableStreams streams = ResumableStreams.builder().broker(broker, "ev").build();
    Client c = connect(streams, null);
    broker.up.set(false);
    assertThatThrownBy(() -> streams.publish("/feed", SseEvent.of("x")))
        .isInstanceOf(BrokerUnavailableException.class)
        .hasMessageContaining("unavailable")
        .satisfies(e -> assertThat(((BrokerUnavailableException) e).deliveredLocally()).isFalse());
    assertThat(streams.publishAsync("/feed", SseEvent.of("y")).toCompletableFuture())
        .isCompletedExceptionally();
    assertThat(c.ids()).isEmpty();
    assertThat(streams.store().events("/feed")).isEmpty();
    broker.up.set(true);
    assertThat(streams.publishAsync("/feed", SseEvent.of("z")).toCompletableFuture().join())
        .isNotNull();
    assertThat(c.ids()).hasSize(1);
  }

  @Test
  void aBrokerFailureAfterLocalDeliveryIsReportedAsDeliveredLocally() {
    ControlledBroker broker = new ControlledBroker();
    ResumableStreams streams = ResumableStreams.builder().broker(broker, "ev").build();
    Client c = connect(streams, null);
    CompletableFuture<Void> pending = new CompletableFuture<>();
    broker.nextResult.set(pending);
    CompletableFuture<String> fate =
        streams.publishAsync("/feed", SseEvent.of("x")).toCompletableFuture();
    assertThat(c.ids()).hasSize(1); // live here at once
    assertThat(fate).isNotDone(); // but not confirmed
    pending.completeExceptionally(new IllegalStateException("command timed out"));
    assertThatThrownBy(fate::join)
        .hasCauseInstanceOf(BrokerUnavailableException.class)
        .cause()
        .hasMessageContaining("reached this node's live clients but not the cluster")
        .satisfies(e -> assertThat(((BrokerUnavailableException) e).deliveredLocally()).isTrue());
    assertThat(streams.brokerPublishFailures()).isEqualTo(1);
  }

  @Test
  void aBrokerGapResyncsLiveClientsOfAnUnsharedStore() {
    ControlledBroker broker = new ControlledBroker();
    ResumableStreams streams = ResumableStreams.builder().broker(broker, "ev").build();
    Client c = connect(streams, null);
    broker.gap("test outage", Duration.ofMillis(1234));
    assertThat(c.events()).hasSize(1);
    assertThat(c.events().get(0).type()).isEqualTo("resync");
    assertThat(c.events().get(0).data()).contains("broker outage: test outage").contains("1234");
    assertThat(c.connection().isOpen()).isTrue();
    assertThat(streams.brokerGaps()).isEqualTo(1);
  }

  @Test
  void aBrokerGapEndsLiveClientsOfASharedStoreSoTheyResumeExactly() {
    ControlledBroker broker = new ControlledBroker();
    HeldReads held = new HeldReads();
    EventStore shared =
        new EventStore() {
          @Override
          public void store(String streamId, StoredEvent event) {
            held.inner.store(streamId, event);
          }

          @Override
          public java.util.Optional<List<StoredEvent>> eventsAfter(String streamId, String id) {
            return held.inner.eventsAfter(streamId, id);
          }

          @Override
          public List<StoredEvent> events(String streamId) {
            return held.inner.events(streamId);
          }

          @Override
          public void trim(String streamId) {
            held.inner.trim(streamId);
          }

          @Override
          public boolean shared() {
            return true;
          }
        };
    ResumableStreams streams =
        ResumableStreams.builder().store(shared).broker(broker, "ev").build();
    Client c = connect(streams, null);
    String seen = streams.publish("/feed", SseEvent.of("a"));
    broker.gap("test outage", Duration.ofMillis(1234));
    assertThat(c.ended()).isTrue();
    String missed = streams.publish("/feed", SseEvent.of("b"));
    Client again = connect(streams, seen);
    assertThat(again.ids()).containsExactly(missed);
  }
}
