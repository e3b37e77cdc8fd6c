package io.servicekit.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Upstream §13.8 (event store) plus the bounds and lookups the Java store adds. */
class MemoryEventStoreTest {
  private static StoredEvent ev(String id) {
    return new StoredEvent(id, "e", "data-" + id);
  }

  private static List<String> ids(List<StoredEvent> events) {
    return events.stream().map(StoredEvent::id).toList();
  }

  private static MemoryEventStore storeOf(int cap, String... ids) {
    MemoryEventStore s = new MemoryEventStore(cap);
    for (String id : ids) {
      s.store("s", ev(id));
    }
    return s;
  }

  @Test
  void unknownAnchorReplaysEverythingInUpstreamReplay() {
    MemoryEventStore s = storeOf(10, "1", "2", "3");
    assertThat(ids(s.replay("s", "nope"))).containsExactly("1", "2", "3");
    assertThat(s.eventsAfter("s", "nope")).isEmpty();
  }

  @Test
  void replayFromMidStream() {
    MemoryEventStore s = storeOf(10, "1", "2", "3", "4", "5");
    assertThat(ids(s.replay("s", "2"))).containsExactly("3", "4", "5");
    assertThat(ids(s.eventsAfter("s", "2").orElseThrow())).containsExactly("3", "4", "5");
  }

  @Test
  void replayFromLastEventIsEmpty() {
    MemoryEventStore s = storeOf(10, "1", "2", "3");
    assertThat(s.replay("s", "3")).isEmpty();
    assertThat(s.eventsAfter("s", "3")).hasValue(List.of());
  }

  @Test
  void nonexistentStreamIsEmpty() {
    MemoryEventStore s = new MemoryEventStore();
    assertThat(s.replay("none", "1")).isEmpty();
    assertThat(s.events("none")).isEmpty();
    assertThat(s.eventsAfter("none", "1")).isEmpty();
  }

  @Test
  void evictsTheOldestBeyondTheCap() {
    MemoryEventStore s = storeOf(3, "1", "2", "3", "4", "5");
    assertThat(ids(s.events("s"))).containsExactly("3", "4", "5");
  }

  @Test
  void anEvictedAnchorIsUnknown() {
    MemoryEventStore s = storeOf(3, "1", "2", "3", "4", "5");
    assertThat(s.eventsAfter("s", "1")).isEmpty();
    assertThat(ids(s.replay("s", "1"))).containsExactly("3", "4", "5");
    assertThat(ids(s.eventsAfter("s", "3").orElseThrow())).containsExactly("4", "5");
  }

  @Test
  void trimDropsOneStreamOnly() {
    MemoryEventStore s = new MemoryEventStore();
    s.store("a", ev("1"));
    s.store("b", ev("2"));
    s.trim("a");
    s.trim("never-existed");
    assertThat(s.events("a")).isEmpty();
    assertThat(ids(s.events("b"))).containsExactly("2");
  }

  @Test
  void streamsAreIsolated() {
    MemoryEventStore s = new MemoryEventStore();
    s.store("a", ev("1"));
    s.store("b", ev("2"));
    s.store("b", ev("3"));
    assertThat(s.events("a")).hasSize(1);
    assertThat(s.events("b")).hasSize(2);
    assertThat(s.eventsAfter("a", "2")).as("another stream's id is unknown here").isEmpty();
  }

  @Test
  void fieldsArePreserved() {
    MemoryEventStore s = new MemoryEventStore();
    s.store("s", new StoredEvent("7", "update", "{\"v\":1}\nline2"));
    assertThat(s.events("s")).containsExactly(new StoredEvent("7", "update", "{\"v\":1}\nline2"));
  }

  @Test
  void defaultsAndBadBounds() {
    MemoryEventStore s = new MemoryEventStore();
    assertThat(s.maxPerStream()).isEqualTo(1000);
    assertThat(s.maxStreams()).isEqualTo(10_000);
    assertThatThrownBy(() -> new MemoryEventStore(0))
        .hasMessage("maxPerStream must be positive: 0");
    assertThatThrownBy(() -> new MemoryEventStore(-5))
        .hasMessage("maxPerStream must be positive: -5");
    assertThatThrownBy(() -> new MemoryEventStore(10, 0))
        .hasMessage("maxStreams must be positive: 0");
  }

  @Test
  void theNumberOfStreamsIsBoundedLeastRecentlyUsedFirst() {
    MemoryEventStore s = new MemoryEventStore(10, 2);
    s.store("a", ev("1"));
    s.store("b", ev("2"));
    s.events("a"); // a is now more recent than b
    s.store("c", ev("3"));
    assertThat(s.streamCount()).isEqualTo(2);
    assertThat(s.events("b")).isEmpty();
    assertThat(s.events("a")).hasSize(1);
  }

  @Test
  void duplicateIdsAnchorOnTheFirst() {
    MemoryEventStore s = storeOf(10, "1", "x", "2", "x", "3");
    assertThat(ids(s.eventsAfter("s", "x").orElseThrow())).containsExactly("2", "x", "3");
  }

  @Test
  void returnsCopies() {
    MemoryEventStore s = storeOf(10, "1", "2");
    List<StoredEvent> got = s.replay("s", "none");
    got.clear();
    assertThat(s.events("s")).hasSize(2);
  }

  @Test
  void storedEventsAreValidated() {
    assertThatThrownBy(() -> new StoredEvent("", null, "x")).hasMessageContaining("empty");
    assertThatThrownBy(() -> new StoredEvent("1\n", null, "x")).hasMessageContaining("event id");
  }

  @Test
  void concurrentStoreReplayTrim() throws Exception {
    MemoryEventStore s = new MemoryEventStore(50);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int writer = w;
        fs.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 2000; i++) {
                    String stream = "s" + (i % 3);
                    s.store(stream, ev(writer + "-" + i));
                    List<StoredEvent> all = s.events(stream);
                    // another writer may have trimmed (dropped) the stream since our store
                    assertThat(all.size()).isBetween(0, 50);
                    s.replay(stream, writer + "-" + (i - 1));
                    if (i % 500 == 0) {
                      s.trim(stream);
                    }
                  }
                }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    assertThat(s.events("s0").size()).isLessThanOrEqualTo(50);
  }

  @Test
  void atomicIdGenStartsAtOne() {
    AtomicIdGen g = new AtomicIdGen();
    assertThat(g.next()).isEqualTo("1");
    assertThat(g.next()).isEqualTo("2");
    assertThat(new AtomicIdGen(41).next()).isEqualTo("42");
    assertThatThrownBy(() -> new AtomicIdGen(-1)).hasMessageContaining("-1");
  }
}
