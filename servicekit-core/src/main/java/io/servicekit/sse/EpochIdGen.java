package io.servicekit.sse;

import io.servicekit.internal.Ids;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Event ids that never repeat: {@code "<epoch>-<n>"}, where {@code n} counts from 1 and the epoch
 * is 8 random base-36 characters drawn when the generator is made (so a new one for every process
 * start). The default of {@link ResumableStreams}.
 *
 * <p>Why an epoch: a counter that starts again — a process restart with the memory store, a Redis
 * restart or flush under a shared store — would reissue ids clients already hold, and a client
 * resuming with one would get a silent wrong continuation. With an epoch an id from an earlier
 * generation is never in the store, so such a client gets an explicit {@code resync}. Ids are
 * unique across nodes as well (each node has its own epoch), with no round trip to a server.
 *
 * <p>Thread-safe and lock-free.
 */
public final class EpochIdGen implements IdGen {
  private final String epoch;
  private final String prefix;
  private final AtomicLong last = new AtomicLong();

  /** A generator with a new random epoch. */
  public EpochIdGen() {
    this.epoch = Ids.epoch();
    this.prefix = epoch + "-";
  }

  /** This generator's epoch (the part before the {@code -}). */
  public String epoch() {
    return epoch;
  }

  @Override
  public String next() {
    return prefix + last.incrementAndGet();
  }

  @Override
  public String toString() {
    return "EpochIdGen[" + epoch + ", last=" + last.get() + "]";
  }
}
