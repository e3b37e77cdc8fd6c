package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.broker.MemoryBroker;
import io.servicekit.internal.BrokerEnvelope;
import io.servicekit.internal.driver.SseConnection;
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
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Tier 1: an event envelope on a resumable stream's broker topic that carries no event id (no
 * ServiceKit node publishes one: ids are assigned before the hand-over) is dropped, not delivered
 * to live clients without an id (with a shared store) nor stored with a null id (without one).
 * Found by NullAway.
 */
class ResumableStreamsEnvelopeT1Test {
  private static final byte EVENT = 1; // ResumableStreams' kind for an event

  private final VirtualScheduler time = new VirtualScheduler();

  private MemoryStream connect(ResumableStreams streams) {
    SseConfig config = SseConfig.builder().scheduler(time).resumable(streams).build();
    SseConnection<Object> c =
        new SseConnection<>(
            new SseProbe(), config, FakeRequest.builder().path("/feed").build(), null);
    MemoryStream wire = new MemoryStream();
    c.open(wire);
    time.runUntilIdle();
    return wire;
  }

  private static EventStore sharedStore() {
    return new EventStore() {
      final MemoryEventStore inner = new MemoryEventStore();

      @Override
      public void store(String streamId, StoredEvent event) {
        inner.store(streamId, event);
      }

      @Override
      public Optional<List<StoredEvent>> eventsAfter(String s, String id) {
        return inner.eventsAfter(s, id);
      }

      @Override
      public List<StoredEvent> events(String s) {
        return inner.events(s);
      }

      @Override
      public void trim(String s) {
        inner.trim(s);
      }

      @Override
      public boolean shared() {
        return true;
      }
    };
  }

  private static byte[] eventWithoutId() {
    return new BrokerEnvelope(
            "another-node",
            EVENT,
            "/feed",
            "",
            "tick",
            null,
            false,
            "forged".getBytes(StandardCharsets.UTF_8))
        .toBytes();
  }

  private List<String> ids(MemoryStream wire) {
    time.runUntilIdle();
    return SseParser.parse(wire.text()).stream().map(SseParser.Event::id).toList();
  }

  @Test
  void withASharedStoreLiveClientsDoNotGetAnEventWithoutAnId() {
    MemoryBroker broker = new MemoryBroker();
    ResumableStreams streams =
        ResumableStreams.builder().store(sharedStore()).broker(broker, "ev").build();
    MemoryStream wire = connect(streams);
    broker.publish("ev./feed", eventWithoutId());
    String id = streams.publish("/feed", SseEvent.named("tick", "real"));
    assertThat(ids(wire)).containsExactly(id);
  }

  @Test
  void withALocalStoreNothingIsStoredAndTheNextEventStillFlows() {
    MemoryBroker broker = new MemoryBroker();
    ResumableStreams streams = ResumableStreams.builder().broker(broker, "ev").build();
    MemoryStream wire = connect(streams);
    broker.publish("ev./feed", eventWithoutId());
    assertThat(streams.store().events("/feed")).isEmpty();
    String id = streams.publish("/feed", SseEvent.named("tick", "real"));
    assertThat(ids(wire)).containsExactly(id);
    assertThat(streams.store().events("/feed")).extracting(StoredEvent::id).containsExactly(id);
  }
}
