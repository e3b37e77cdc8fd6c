package io.servicekit.broker;

/** A payload is larger than the broker's limit; nothing was published or delivered. */
public final class PayloadTooLargeException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** The payload for {@code topic} has {@code size} bytes, more than {@code max}. */
  public PayloadTooLargeException(String topic, int size, int max) {
    super(
        "broker payload too large for topic "
            + topic
            + ": "
            + size
            + " bytes, the limit (maxPayloadBytes) is "
            + max);
  }
}
