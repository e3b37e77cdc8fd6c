package io.servicekit.channel;

import java.util.List;
import java.util.Objects;

/**
 * What a {@link ChannelHistory} answers to "what came after this position": either exactly the
 * publications the holder missed, or a resync when the history cannot say.
 */
public sealed interface Recovery {
  /** The channel's newest position at the time of the answer. */
  StreamPosition top();

  /**
   * Every publication after the asked position, oldest first, without gaps: their offsets are
   * consecutive and the last one is {@link #top()} (none when the position was already the top).
   *
   * @param publications a copy
   * @param top the newest position
   */
  record Recovered(List<Publication> publications, StreamPosition top) implements Recovery {
    public Recovered {
      publications = List.copyOf(publications);
      Objects.requireNonNull(top, "top");
    }
  }

  /**
   * The history cannot recover the position: the holder must drop its state and start again from
   * {@link #top()}.
   *
   * @param top the newest position
   * @param reason why
   */
  record Resync(StreamPosition top, Reason reason) implements Recovery {
    public Resync {
      Objects.requireNonNull(top, "top");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** Why a position cannot be recovered. */
  enum Reason {
    /** The position is of another epoch: the history was lost or started again since. */
    EPOCH_CHANGED,
    /** Publications after the position were evicted (by count or age). */
    EVICTED,
    /** The position is past the newest publication of its epoch. */
    AHEAD;

    /** The wire name: {@code epoch_changed}, {@code evicted}, {@code ahead}. */
    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
