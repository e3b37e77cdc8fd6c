package io.servicekit.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MemoryChannelHistoryTest {
  /** A clock the test moves; no timers are used by the history. */
  static final class Clock implements Scheduler {
    final AtomicLong now = new AtomicLong();

    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
      throw new UnsupportedOperationException("the history sets no timers");
    }

    @Override
    public long nanoTime() {
      return now.get();
    }

    void advance(Duration d) {
      now.addAndGet(d.toNanos());
    }
  }

  private final Clock clock = new Clock();

  private MemoryChannelHistory history(int max) {
    return MemoryChannelHistory.builder()
        .maxPublications(max)
        .maxAge(Duration.ofMinutes(1))
        .scheduler(clock)
        .build();
  }

  private static Publication append(ChannelHistory h, String channel, String data) {
    return h.append(channel, data).toCompletableFuture().join();
  }

  private static Recovery since(ChannelHistory h, String channel, StreamPosition p) {
    return h.since(channel, p).toCompletableFuture().join();
  }

  @Test
  void topOfAnUnusedChannelIsOffsetZeroOfANewEpochThatStays() {
    ChannelHistory h = history(10);
    StreamPosition top = h.top("c").toCompletableFuture().join();
    assertThat(top.offset()).isZero();
    assertThat(top.epoch()).matches("[0-9a-z]{8}");
    assertThat(append(h, "c", "1").position()).isEqualTo(new StreamPosition(top.epoch(), 1));
    assertThat(h.top("other").toCompletableFuture().join().epoch()).isNotEqualTo(top.epoch());
  }

  @Test
  void recoversExactlyThePublicationsAfterAPosition() {
    ChannelHistory h = history(10);
    List<Publication> all = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      all.add(append(h, "c", "\"m" + i + "\""));
    }
    StreamPosition at2 = all.get(1).position();
    Recovery r = since(h, "c", at2);
    assertThat(r).isInstanceOf(Recovery.Recovered.class);
    assertThat(((Recovery.Recovered) r).publications())
        .containsExactlyElementsOf(all.subList(2, 5));
    assertThat(r.top()).isEqualTo(all.get(4).position());
    Recovery atTop = since(h, "c", all.get(4).position());
    assertThat(((Recovery.Recovered) atTop).publications()).isEmpty();
    Recovery fromStart = since(h, "c", StreamPosition.start(at2.epoch()));
    assertThat(((Recovery.Recovered) fromStart).publications()).hasSize(5);
  }

  @Test
  void theCountLimitEvictsAndAnOlderPositionGetsResyncEvicted() {
    ChannelHistory h = history(3);
    List<Publication> all = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      all.add(append(h, "c", String.valueOf(i)));
    }
    // kept: 4, 5, 6: from 3 is recoverable, from 2 is not
    assertThat(((Recovery.Recovered) since(h, "c", all.get(2).position())).publications())
        .extracting(Publication::offset)
        .containsExactly(4L, 5L, 6L);
    Recovery r = since(h, "c", all.get(1).position());
    assertThat(r).isEqualTo(new Recovery.Resync(all.get(5).position(), Recovery.Reason.EVICTED));
  }

  @Test
  void theAgeLimitEvicts() {
    ChannelHistory h = history(100);
    Publication p1 = append(h, "c", "1");
    clock.advance(Duration.ofSeconds(40));
    Publication p2 = append(h, "c", "2");
    clock.advance(Duration.ofSeconds(30)); // p1 is 70 s old, p2 40 s
    assertThat(since(h, "c", StreamPosition.start(p1.position().epoch())))
        .isEqualTo(new Recovery.Resync(p2.position(), Recovery.Reason.EVICTED));
    assertThat(((Recovery.Recovered) since(h, "c", p1.position())).publications())
        .containsExactly(p2);
    clock.advance(Duration.ofSeconds(31)); // both too old
    assertThat(since(h, "c", p1.position()))
        .isEqualTo(new Recovery.Resync(p2.position(), Recovery.Reason.EVICTED));
    assertThat(((Recovery.Recovered) since(h, "c", p2.position())).publications()).isEmpty();
  }

  @Test
  void anotherEpochGetsEpochChangedAndAPositionPastTheTopGetsAhead() {
    ChannelHistory h = history(10);
    Publication p = append(h, "c", "1");
    assertThat(since(h, "c", new StreamPosition("zzzzzzzzz", 1)))
        .isEqualTo(new Recovery.Resync(p.position(), Recovery.Reason.EPOCH_CHANGED));
    assertThat(since(h, "c", new StreamPosition(p.position().epoch(), 2)))
        .isEqualTo(new Recovery.Resync(p.position(), Recovery.Reason.AHEAD));
  }

  @Test
  void beyondMaxChannelsTheLeastRecentlyPublishedIsForgottenAndStartsANewEpoch() {
    MemoryChannelHistory h = MemoryChannelHistory.builder().maxChannels(2).scheduler(clock).build();
    Publication a = append(h, "a", "1");
    append(h, "b", "1");
    append(h, "a", "2"); // a is now the most recent
    append(h, "c", "1"); // forgets b
    assertThat(h.channels()).isEqualTo(2);
    assertThat(since(h, "a", a.position())).isInstanceOf(Recovery.Recovered.class);
    Recovery b = since(h, "b", new StreamPosition(a.position().epoch(), 1));
    assertThat(b).isInstanceOf(Recovery.Resync.class);
    assertThat(((Recovery.Resync) b).reason()).isEqualTo(Recovery.Reason.EPOCH_CHANGED);
    assertThat(b.top().offset()).isZero();
  }

  @Test
  void concurrentAppendsGetConsecutiveOffsets() throws Exception {
    ChannelHistory h = history(10_000);
    int threads = 4;
    int each = 500;
    Set<Long> offsets = ConcurrentHashMap.newKeySet();
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      Thread.ofPlatform()
          .start(
              () -> {
                for (int i = 0; i < each; i++) {
                  offsets.add(append(h, "c", "x").offset());
                }
                done.countDown();
              });
    }
    done.await();
    assertThat(offsets).hasSize(threads * each);
    assertThat(offsets.stream().mapToLong(Long::longValue).max().orElseThrow())
        .isEqualTo(threads * each);
    assertThat(h.top("c").toCompletableFuture().join().offset()).isEqualTo(threads * each);
  }

  @Test
  void badSettingsAndNamesAreRefusedByName() {
    assertThatThrownBy(() -> MemoryChannelHistory.builder().maxPublications(0))
        .hasMessageContaining("maxPublications must be positive, was 0");
    assertThatThrownBy(() -> MemoryChannelHistory.builder().maxAge(Duration.ZERO))
        .hasMessageContaining("maxAge must be positive, was PT0S");
    assertThatThrownBy(() -> MemoryChannelHistory.builder().maxChannels(-1))
        .hasMessageContaining("maxChannels must be positive, was -1");
    assertThatThrownBy(() -> history(1).append("a b", "1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("whitespace");
  }
}
