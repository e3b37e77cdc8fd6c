package io.servicekit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.channel.ChannelHistory;
import io.servicekit.channel.Publication;
import io.servicekit.channel.Recovery;
import io.servicekit.channel.StreamPosition;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Runs the contract against a small reference history (here only; the product ones are {@code
 * MemoryChannelHistory} in core and {@code RedisChannelHistory}), once on a test clock and once in
 * real time, and shows that it catches a history that skips an offset.
 */
class ChannelHistoryContractTest {
  /** A straightforward history on a clock the test moves. */
  static final class ListHistory implements ChannelHistory {
    private record Entry(Publication publication, long atMillis) {}

    private record Log(String epoch, ArrayDeque<Entry> kept, long[] top) {}

    private final int max;
    private final long maxAgeMillis;
    private final LongSupplier clock;
    private final long skip; // an offset never given: a broken history
    private final Map<String, Log> logs = new HashMap<>();
    private long epochs;

    ListHistory(int max, Duration maxAge, LongSupplier clock, long skip) {
      this.max = max;
      this.maxAgeMillis = maxAge.toMillis();
      this.clock = clock;
      this.skip = skip;
    }

    private Log log(String channel) {
      return logs.computeIfAbsent(
          ChannelHistory.checkChannel(channel),
          c -> new Log("e" + Long.toString(++epochs, 36), new ArrayDeque<>(), new long[1]));
    }

    @Override
    public synchronized CompletionStage<Publication> append(String channel, String data) {
      Log log = log(channel);
      long offset = ++log.top()[0];
      if (offset == skip) {
        offset = ++log.top()[0];
      }
      Publication p = new Publication(channel, new StreamPosition(log.epoch(), offset), data);
      log.kept().addLast(new Entry(p, clock.getAsLong()));
      while (log.kept().size() > max) {
        log.kept().removeFirst();
      }
      return CompletableFuture.completedFuture(p);
    }

    @Override
    public synchronized CompletionStage<Recovery> since(String channel, StreamPosition position) {
      Log log = log(channel);
      StreamPosition top = new StreamPosition(log.epoch(), log.top()[0]);
      Recovery r;
      if (!position.epoch().equals(log.epoch())) {
        r = new Recovery.Resync(top, Recovery.Reason.EPOCH_CHANGED);
      } else if (position.offset() > top.offset()) {
        r = new Recovery.Resync(top, Recovery.Reason.AHEAD);
      } else {
        List<Publication> after = new ArrayList<>();
        long oldest = clock.getAsLong() - maxAgeMillis;
        for (Entry e : log.kept()) {
          if (e.publication().offset() > position.offset()) {
            if (after.isEmpty() && e.atMillis() < oldest) {
              continue;
            }
            after.add(e.publication());
          }
        }
        boolean complete =
            position.offset() == top.offset()
                || (!after.isEmpty() && after.get(0).offset() == position.offset() + 1);
        r =
            complete
                ? new Recovery.Recovered(after, top)
                : new Recovery.Resync(top, Recovery.Reason.EVICTED);
      }
      return CompletableFuture.completedFuture(r);
    }

    @Override
    public synchronized CompletionStage<StreamPosition> top(String channel) {
      Log log = log(channel);
      return CompletableFuture.completedFuture(new StreamPosition(log.epoch(), log.top()[0]));
    }
  }

  @Nested
  class OnATestClock extends ChannelHistoryContract {
    private final AtomicLong clock = new AtomicLong();

    @Override
    protected ChannelHistory newHistory(int maxPublications, Duration maxAge) {
      return new ListHistory(maxPublications, maxAge, clock::get, -1);
    }

    @Override
    protected boolean advanceClock(Duration by) {
      clock.addAndGet(by.toMillis());
      return true;
    }
  }

  @Nested
  class InRealTime extends ChannelHistoryContract {
    @Override
    protected ChannelHistory newHistory(int maxPublications, Duration maxAge) {
      return new ListHistory(maxPublications, maxAge, System::currentTimeMillis, -1);
    }

    @Override
    protected Duration realAge() {
      return Duration.ofMillis(500);
    }
  }

  /** The contract is not passed by construction: a history that skips offset 3 fails it. */
  @Test
  void aHistoryWithAGapFails() {
    class Broken extends ChannelHistoryContract {
      @Override
      protected ChannelHistory newHistory(int maxPublications, Duration maxAge) {
        return new ListHistory(maxPublications, maxAge, () -> 0, 3);
      }
    }
    Broken broken = new Broken();
    assertThatThrownBy(broken::offsetsCountFromOneConsecutivelyPerChannel)
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("append 3");
    assertThatThrownBy(broken::concurrentAppendsGetConsecutiveOffsets)
        .isInstanceOf(AssertionError.class);
    broken.closeHistories();
    assertThat(new ListHistory(1, Duration.ofSeconds(1), () -> 0, -1).shared()).isFalse();
  }
}
