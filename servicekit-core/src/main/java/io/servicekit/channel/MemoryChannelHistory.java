package io.servicekit.channel;

import io.servicekit.Scheduler;
import io.servicekit.internal.Check;
import io.servicekit.internal.Ids;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link ChannelHistory} in this node's memory, bounded three ways: at most {@code
 * maxPublications} per channel (default {@value #DEFAULT_MAX_PUBLICATIONS}), none older than {@code
 * maxAge} (default 10 minutes), and at most {@code maxChannels} channels (default {@value
 * #DEFAULT_MAX_CHANNELS}): beyond it the channel least recently published on is forgotten, and its
 * next use starts a new epoch. Each channel's epoch is 8 random characters of {@code [0-9a-z]}.
 *
 * <p>Not shared: every node numbers its own channels (use {@code RedisChannelHistory} for a
 * cluster). One lock guards it; operations are short, never call out and complete at once.
 */
public final class MemoryChannelHistory implements ChannelHistory {
  /** Default publications kept per channel. */
  public static final int DEFAULT_MAX_PUBLICATIONS = 1000;

  /** Default number of channels kept. */
  public static final int DEFAULT_MAX_CHANNELS = 10_000;

  /** Default longest time a publication is kept. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(10);

  private record Entry(Publication publication, long atNanos) {}

  private static final class Channel {
    final String epoch;
    final ArrayDeque<Entry> kept = new ArrayDeque<>();
    long last; // offset of the newest publication, 0 before the first

    Channel(String epoch) {
      this.epoch = epoch;
    }
  }

  private final int maxPublications;
  private final long maxAgeNanos;
  private final int maxChannels;
  private final Scheduler scheduler;
  private final ReentrantLock lock = new ReentrantLock();
  private final LinkedHashMap<String, Channel> channels; // order of last publication; lock

  private MemoryChannelHistory(Builder b) {
    this.maxPublications = b.maxPublications;
    this.maxAgeNanos = b.maxAge.toNanos();
    this.maxChannels = b.maxChannels;
    this.scheduler = b.scheduler;
    this.channels =
        new LinkedHashMap<>(16, 0.75f, false) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Channel> eldest) {
            return size() > MemoryChannelHistory.this.maxChannels;
          }
        };
  }

  /** A history with the default bounds and the system clock. */
  public MemoryChannelHistory() {
    this(new Builder());
  }

  /** A builder of a history, with the defaults above. */
  public static Builder builder() {
    return new Builder();
  }

  /** Settings of a {@link MemoryChannelHistory}; each is checked when set. */
  public static final class Builder {
    private int maxPublications = DEFAULT_MAX_PUBLICATIONS;
    private Duration maxAge = DEFAULT_MAX_AGE;
    private int maxChannels = DEFAULT_MAX_CHANNELS;
    private Scheduler scheduler = Scheduler.system();

    private Builder() {}

    /**
     * Most publications kept per channel.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxPublications(int maxPublications) {
      this.maxPublications = Check.positive("maxPublications", maxPublications);
      return this;
    }

    /**
     * Longest time a publication is kept.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxAge(Duration maxAge) {
      this.maxAge = Check.positive("maxAge", maxAge);
      return this;
    }

    /**
     * Most channels kept; beyond it the one least recently published on is forgotten.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxChannels(int maxChannels) {
      this.maxChannels = Check.positive("maxChannels", maxChannels);
      return this;
    }

    /** The clock for {@code maxAge} ({@link Scheduler#nanoTime()}); default the system one. */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** The history. */
    public MemoryChannelHistory build() {
      return new MemoryChannelHistory(this);
    }
  }

  @Override
  public CompletionStage<Publication> append(String channel, String data) {
    ChannelHistory.checkChannel(channel);
    Objects.requireNonNull(data, "data");
    long now = scheduler.nanoTime();
    lock.lock();
    try {
      Channel c = channels.remove(channel); // re-inserted last: the most recently published
      if (c == null) {
        c = new Channel(Ids.epoch());
      }
      channels.put(channel, c);
      Publication p = new Publication(channel, new StreamPosition(c.epoch, ++c.last), data);
      c.kept.addLast(new Entry(p, now));
      while (c.kept.size() > maxPublications) {
        c.kept.pollFirst();
      }
      expire(c, now);
      return CompletableFuture.completedFuture(p);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public CompletionStage<Recovery> since(String channel, StreamPosition position) {
    ChannelHistory.checkChannel(channel);
    Objects.requireNonNull(position, "position");
    long now = scheduler.nanoTime();
    lock.lock();
    try {
      Channel c = channel(channel);
      expire(c, now);
      StreamPosition top = new StreamPosition(c.epoch, c.last);
      Recovery answer;
      if (!position.epoch().equals(c.epoch)) {
        answer = new Recovery.Resync(top, Recovery.Reason.EPOCH_CHANGED);
      } else if (position.offset() > c.last) {
        answer = new Recovery.Resync(top, Recovery.Reason.AHEAD);
      } else {
        long firstKept = c.kept.isEmpty() ? c.last + 1 : c.kept.peekFirst().publication().offset();
        if (position.offset() + 1 < firstKept) {
          answer = new Recovery.Resync(top, Recovery.Reason.EVICTED);
        } else {
          List<Publication> missed = new ArrayList<>((int) (c.last - position.offset()));
          for (Entry e : c.kept) {
            if (e.publication().offset() > position.offset()) {
              missed.add(e.publication());
            }
          }
          answer = new Recovery.Recovered(missed, top);
        }
      }
      return CompletableFuture.completedFuture(answer);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public CompletionStage<StreamPosition> top(String channel) {
    ChannelHistory.checkChannel(channel);
    lock.lock();
    try {
      Channel c = channel(channel);
      return CompletableFuture.completedFuture(new StreamPosition(c.epoch, c.last));
    } finally {
      lock.unlock();
    }
  }

  /** How many channels are kept (for tests and stats). */
  public int channels() {
    lock.lock();
    try {
      return channels.size();
    } finally {
      lock.unlock();
    }
  }

  private Channel channel(String channel) {
    Channel c = channels.get(channel);
    if (c == null) {
      // first use gives the channel its epoch; it counts as the newest for the channel bound
      c = new Channel(Ids.epoch());
      channels.put(channel, c);
    }
    return c;
  }

  private void expire(Channel c, long now) {
    while (!c.kept.isEmpty() && now - c.kept.peekFirst().atNanos() > maxAgeNanos) {
      c.kept.pollFirst();
    }
  }
}
