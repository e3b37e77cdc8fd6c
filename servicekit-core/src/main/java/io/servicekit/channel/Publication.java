package io.servicekit.channel;

import java.util.Objects;

/**
 * One message published on a channel, as its history keeps it: the channel, its position and its
 * data, already encoded (JSON text), so that it is encoded once however many subscribers get it.
 *
 * @param channel the channel name
 * @param position where it is in the channel's stream (offset 1 or more)
 * @param data the encoded message
 */
public record Publication(String channel, StreamPosition position, String data) {
  /**
   * @throws IllegalArgumentException if the offset is 0
   */
  public Publication {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(position, "position");
    Objects.requireNonNull(data, "data");
    if (position.offset() < 1) {
      throw new IllegalArgumentException("publication offset must be >= 1, was " + position);
    }
  }

  /** The offset of this publication. */
  public long offset() {
    return position.offset();
  }
}
