package io.servicekit.channel;

import java.util.Objects;

/**
 * A place in a channel's stream: the offset of a publication (1 for the first, 0 for "before the
 * first") and the epoch of the history that issued it. Offsets of one epoch are consecutive; a new
 * epoch (a history lost or started again) makes every older position unrecoverable, so a client
 * holding one is told to resync instead of being given a wrong continuation.
 *
 * <p>The text form, {@code "<epoch>-<offset>"} (e.g. {@code "k3v9a0qz-42"}), is what clients hold
 * and what an SSE client of the same channel sends as {@code Last-Event-ID}.
 *
 * @param epoch 1 to 32 characters from {@code [0-9a-z]}
 * @param offset zero or more
 */
public record StreamPosition(String epoch, long offset) {
  /** Longest accepted epoch. */
  public static final int MAX_EPOCH_LENGTH = 32;

  /**
   * @throws IllegalArgumentException naming the rule and the value
   */
  public StreamPosition {
    Objects.requireNonNull(epoch, "epoch");
    checkEpoch(epoch);
    if (offset < 0) {
      throw new IllegalArgumentException("position offset must be >= 0, was " + offset);
    }
  }

  /** The position before the first publication of {@code epoch}. */
  public static StreamPosition start(String epoch) {
    return new StreamPosition(epoch, 0);
  }

  /**
   * Reads the text form {@code "<epoch>-<offset>"}.
   *
   * @throws IllegalArgumentException if {@code text} is not of that form, naming the value
   */
  public static StreamPosition parse(String text) {
    Objects.requireNonNull(text, "text");
    int dash = text.lastIndexOf('-');
    if (dash <= 0 || dash == text.length() - 1 || text.length() > MAX_EPOCH_LENGTH + 20) {
      throw new IllegalArgumentException(
          "position must be <epoch>-<offset>, was \"" + shorten(text) + "\"");
    }
    long offset = 0;
    for (int i = dash + 1; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9' || offset > (Long.MAX_VALUE - 9) / 10) {
        throw new IllegalArgumentException(
            "position offset must be a decimal number >= 0, was \"" + shorten(text) + "\"");
      }
      offset = offset * 10 + (c - '0');
    }
    return new StreamPosition(text.substring(0, dash), offset);
  }

  /** The position after this one in the same epoch. */
  public StreamPosition next() {
    return new StreamPosition(epoch, offset + 1);
  }

  /** The text form, {@code "<epoch>-<offset>"}. */
  @Override
  public String toString() {
    return epoch + "-" + offset;
  }

  /**
   * Checks an epoch: 1 to {@value #MAX_EPOCH_LENGTH} characters from {@code [0-9a-z]}.
   *
   * @throws IllegalArgumentException naming the rule and the value
   */
  public static void checkEpoch(String epoch) {
    boolean ok = !epoch.isEmpty() && epoch.length() <= MAX_EPOCH_LENGTH;
    for (int i = 0; ok && i < epoch.length(); i++) {
      char c = epoch.charAt(i);
      ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
    }
    if (!ok) {
      throw new IllegalArgumentException(
          "position epoch must be 1-"
              + MAX_EPOCH_LENGTH
              + " characters of [0-9a-z], was \""
              + shorten(epoch)
              + "\"");
    }
  }

  private static String shorten(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}
