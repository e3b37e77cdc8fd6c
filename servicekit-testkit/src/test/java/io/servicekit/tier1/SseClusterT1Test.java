package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.JsonCodec;
import io.servicekit.broker.Broker;
import io.servicekit.broker.ControlledBroker;
import io.servicekit.broker.MemoryBroker;
import io.servicekit.broker.PayloadTooLargeException;
import io.servicekit.internal.driver.SseConnection;
import io.servicekit.sse.AtomicIdGen;
import io.servicekit.sse.EventStore;
import io.servicekit.sse.IdGen;
import io.servicekit.sse.MemoryEventStore;
import io.servicekit.sse.ResumableStreams;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseHub;
import io.servicekit.sse.SseParser;
import io.servicekit.sse.StoredEvent;
import io.servicekit.testkit.FakeRequest;
import io.servicekit.testkit.MemoryStream;
import io.servicekit.testkit.VirtualScheduler;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Tier 1 (moved from servicekit-core): SSE hubs and resumable streams on two "nodes" sharing one
 * in-memory broker, on virtual time.
 */
class SseClusterT1Test {
  private final VirtualScheduler time = new VirtualScheduler();
  private final Map<SseProbe, MemoryStream> wires = new ConcurrentHashMap<>();

  private SseConnection<Object> connect(SseProbe conn, SseConfig config, String lastEventId) {
    SseConnection<Object> c =
        new SseConnection<>(conn, config, FakeRequest.builder().path("/feed").build(), lastEventId);
    MemoryStream t = new MemoryStream();
    wires.put(conn, t);
    c.open(t);
    time.runUntilIdle();
    assertThat(t.writes()).as("the header flush").isGreaterThanOrEqualTo(1);
    return c;
  }

  /** What {@code conn} has received, once what is due has run. */
  private List<SseParser.Event> events(SseProbe conn) {
    time.runUntilIdle();
    return SseParser.parse(wires.get(conn).text());
  }

  /** A MemoryEventStore both "nodes" see, as Redis would be. */
  private static EventStore sharedStore() {
    return new EventStore() {
      final MemoryEventStore inner = new MemoryEventStore();

      @Override
      public void store(String streamId, StoredEvent event) {
        inner.store(streamId, event);
      }

      @Override
      public java.util.Optional<List<StoredEvent>> eventsAfter(String s, String id) {
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

  @Test
  void hubBroadcastsAndTargetedSendsReachTheOtherNode() {
    MemoryBroker broker = new MemoryBroker();
    SseHub<Object> node1 = new SseHub<>();
    SseHub<Object> node2 = new SseHub<>();
    node1.cluster(broker, "notes", JsonCodec.INSTANCE);
    node2.cluster(broker, "notes", JsonCodec.INSTANCE);
    SseConfig config = SseConfig.builder().scheduler(time).build();
    SseProbe a = new SseProbe();
    SseProbe b = new SseProbe();
    SseConnection<Object> sa = connect(a, config, null);
    SseConnection<Object> sb = connect(b, config, null);
    assertThat(node1.register(sa)).isTrue();
    assertThat(node2.register(sb)).isTrue();
    assertThat(node1.broadcastEvent("alert", 1)).isEqualTo(1);
    assertThat(node1.sendEvent(sb.id(), "direct", 2)).isTrue();
    assertThat(node2.send("nobody-anywhere", 3)).isTrue(); // handed to the broker
    assertThat(events(a)).extracting(SseParser.Event::type).containsExactly("alert");
    assertThat(events(b))
        .extracting(e -> e.type() + ":" + e.data())
        .containsExactly("alert:1", "direct:2");
  }

  @Test
  void resumableStreamsDeliverLiveOnEveryNodeAndResumeFromASharedStore() {
    MemoryBroker broker = new MemoryBroker();
    EventStore shared = sharedStore();
    AtomicLong ids = new AtomicLong();
    IdGen clusterIds = () -> Long.toString(ids.incrementAndGet());
    ResumableStreams s1 =
        ResumableStreams.builder().store(shared).idGen(clusterIds).broker(broker, "ev").build();
    ResumableStreams s2 =
        ResumableStreams.builder().store(shared).idGen(clusterIds).broker(broker, "ev").build();
    SseProbe a = new SseProbe();
    connect(a, SseConfig.builder().scheduler(time).resumable(s1).build(), null);
    SseProbe b = new SseProbe();
    connect(b, SseConfig.builder().scheduler(time).resumable(s2).build(), null);
    s1.publish("/feed", SseEvent.named("tick", "one"));
    s2.publish("/feed", SseEvent.named("tick", "two"));
    assertThat(events(a)).extracting(SseParser.Event::id).containsExactly("1", "2");
    assertThat(events(b)).extracting(SseParser.Event::id).containsExactly("1", "2");
    assertThat(shared.events("/feed")).hasSize(2); // stored once each

    // a resumes on node 2 from id 1
    SseProbe again = new SseProbe();
    connect(again, SseConfig.builder().scheduler(time).resumable(s2).build(), "1");
    assertThat(events(again)).extracting(SseParser.Event::data).containsExactly("two");
  }

  @Test
  void anEventReachingTheSharedStoreBeforeTheBrokerIsNotSentTwiceToAResumedClient() {
    List<Runnable> held = new java.util.ArrayList<>();
    Broker slow = // Redis pub/sub can be slower than the store: deliveries wait here
        new ControlledBroker()
            .onPublish(
                (topic, payload, memory) -> {
                  held.add(() -> memory.publish(topic, payload));
                  return java.util.concurrent.CompletableFuture.completedStage(null);
                });
    EventStore shared = sharedStore();
    AtomicLong ids = new AtomicLong();
    IdGen clusterIds = () -> Long.toString(ids.incrementAndGet());
    ResumableStreams s1 =
        ResumableStreams.builder().store(shared).idGen(clusterIds).broker(slow, "ev").build();
    ResumableStreams s2 =
        ResumableStreams.builder().store(shared).idGen(clusterIds).broker(slow, "ev").build();
    SseProbe watcher = new SseProbe(); // keeps the stream live on node 2
    connect(watcher, SseConfig.builder().scheduler(time).resumable(s2).build(), null);
    s1.publish("/feed", SseEvent.named("tick", "one"));
    held.remove(0).run();
    s1.publish("/feed", SseEvent.named("tick", "two"));
    s1.publish("/feed", SseEvent.named("tick", "three"));

    // a client saw 1 and 2 on node 1 and resumes on node 2 before the broker has delivered 2 and 3
    SseProbe resumed = new SseProbe();
    connect(resumed, SseConfig.builder().scheduler(time).resumable(s2).build(), "2");
    held.forEach(Runnable::run);
    held.clear();
    s1.publish("/feed", SseEvent.named("tick", "four"));
    held.remove(0).run();
    assertThat(events(resumed)).extracting(SseParser.Event::id).containsExactly("3", "4");
    assertThat(events(watcher)).extracting(SseParser.Event::id).containsExactly("1", "2", "3", "4");
  }

  @Test
  void unsharedStoresKeepACopyOfRemoteEventsAndOversizedEventsAreRefused() {
    MemoryBroker broker = new MemoryBroker(300);
    ResumableStreams s1 =
        ResumableStreams.builder().idGen(new AtomicIdGen()).broker(broker, "ev").build();
    ResumableStreams s2 =
        ResumableStreams.builder().idGen(new AtomicIdGen(1000)).broker(broker, "ev").build();
    s1.publish("/feed", SseEvent.of("x"));
    assertThat(s2.store().events("/feed")).extracting(StoredEvent::id).containsExactly("1");
    assertThatThrownBy(() -> s1.publish("/feed", SseEvent.of("y".repeat(400))))
        .isInstanceOf(PayloadTooLargeException.class)
        .hasMessageContaining("ev./feed");
    assertThat(s1.store().events("/feed")).hasSize(1);
  }
}
