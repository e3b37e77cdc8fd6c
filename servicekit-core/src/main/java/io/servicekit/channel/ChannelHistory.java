package io.servicekit.channel;

import java.util.concurrent.CompletionStage;

/**
 * The bounded history of channels (the SPI behind {@code Channels}): it numbers the publications of
 * each channel and answers recoveries. Implementations: {@code MemoryChannelHistory} (one node) and
 * {@code io.servicekit.redis.RedisChannelHistory} (shared by every node).
 *
 * <p>Rules every implementation keeps (checked by the test kit's {@code ChannelHistoryContract}):
 *
 * <ul>
 *   <li>A channel's first {@link #append} or {@link #top} gives it an epoch; its offsets count from
 *       1 within that epoch, one per append, in the order the appends take effect, with no gaps and
 *       no repeats — across nodes too for a shared history.
 *   <li>A channel keeps at most its count limit of publications and none older than its age limit;
 *       when it has had no publication for longer than the age limit, it may be forgotten entirely
 *       (its next use starts a new epoch).
 *   <li>{@link #since} answers {@link Recovery.Recovered} with exactly the publications after the
 *       position when they are all still kept, and {@link Recovery.Resync} otherwise.
 *   <li>Nothing blocks the caller; failures (an unreachable store) fail the stage, which is not the
 *       same as a resync: the caller may retry.
 * </ul>
 */
public interface ChannelHistory extends AutoCloseable {
  /**
   * Appends {@code data} to {@code channel} as its next publication.
   *
   * @param channel the channel name, see {@link #checkChannel}
   * @param data the encoded message
   * @return the publication with its position
   */
  CompletionStage<Publication> append(String channel, String data);

  /** The publications of {@code channel} after {@code position}, or a resync. */
  CompletionStage<Recovery> since(String channel, StreamPosition position);

  /** The newest position of {@code channel} (offset 0 in a new epoch for a channel never used). */
  CompletionStage<StreamPosition> top(String channel);

  /** Whether every node of a cluster sees the same history (default false). */
  default boolean shared() {
    return false;
  }

  /** Longest accepted channel name, in characters. */
  int MAX_CHANNEL_LENGTH = 200;

  /**
   * Checks a channel name: 1 to {@value #MAX_CHANNEL_LENGTH} characters, none of them a control
   * character, {@code *} or whitespace.
   *
   * @return {@code channel}
   * @throws IllegalArgumentException naming the rule and the value
   */
  static String checkChannel(String channel) {
    if (channel == null || channel.isEmpty() || channel.length() > MAX_CHANNEL_LENGTH) {
      throw new IllegalArgumentException(
          "channel must be 1-"
              + MAX_CHANNEL_LENGTH
              + " characters, was "
              + (channel == null ? "null" : channel.length() + " characters"));
    }
    for (int i = 0; i < channel.length(); i++) {
      char c = channel.charAt(i);
      if (c < 0x21 || c == 0x7f || c == '*' || Character.isWhitespace(c)) {
        throw new IllegalArgumentException(
            "channel must not contain control characters, whitespace or *, was \""
                + channel.replaceAll("\\p{Cntrl}", "?")
                + "\"");
      }
    }
    return channel;
  }

  /** Releases resources; idempotent. */
  @Override
  default void close() {}
}
