package io.servicekit.sse;

import io.servicekit.Codec;
import io.servicekit.EncodeException;
import io.servicekit.Message;
import io.servicekit.internal.SseFormat;
import io.servicekit.internal.driver.SseAccess;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One Server-Sent Event, validated and framed once when created: an optional event name, an
 * optional id, an optional reconnection hint and the data text. Framing follows {@link SseFormat};
 * names and ids with CR, LF or NUL are rejected here, so an {@code SseEvent} always frames safely.
 *
 * <pre>{@code
 * SseEvent plain = SseEvent.of("{\"status\":\"updated\"}");
 * SseEvent named = SseEvent.named("alert", "{\"level\":\"warning\"}").withId("42");
 * }</pre>
 *
 * <p>Immutable and thread-safe; a hub frames a broadcast once and hands the same instance to every
 * connection.
 */
public final class SseEvent {
  static {
    SseAccess.register(new SseBridge()); // the SSE driver reaches wire() and the streams through it
  }

  private final @Nullable String event;
  private final @Nullable String id;
  private final long retryMillis;
  private final String data;
  private final byte[] wire;

  private SseEvent(@Nullable String event, @Nullable String id, long retryMillis, String data) {
    this.event = event == null || event.isEmpty() ? null : event;
    this.id = id == null || id.isEmpty() ? null : id;
    this.retryMillis = retryMillis;
    this.data = Objects.requireNonNull(data, "SSE event data must not be null");
    this.wire = SseFormat.event(this.event, this.id, retryMillis, data);
  }

  /** An event of the default type {@code message} with {@code data}. */
  public static SseEvent of(String data) {
    return new SseEvent(null, null, 0, data);
  }

  /** An event named {@code event} (null or empty for {@code message}) with {@code data}. */
  public static SseEvent named(@Nullable String event, String data) {
    return new SseEvent(event, null, 0, data);
  }

  /**
   * An event with every field.
   *
   * @param retryMillis reconnection hint in ms, 0 for none
   * @throws IllegalArgumentException if {@code event} or {@code id} contains CR, LF or NUL, or
   *     {@code retryMillis} is negative
   */
  public static SseEvent of(
      @Nullable String event, @Nullable String id, long retryMillis, String data) {
    return new SseEvent(event, id, retryMillis, data);
  }

  /**
   * {@code message} encoded by {@code codec} as event data.
   *
   * @throws EncodeException if the codec fails or produces a binary frame (SSE carries text)
   */
  public static <O> SseEvent encode(
      Codec<?, O> codec, @Nullable String event, @Nullable String id, O message) {
    return new SseEvent(event, id, 0, encodeData(codec, message));
  }

  /**
   * The event-data text of {@code message} under {@code codec}.
   *
   * @throws EncodeException if the codec fails or produces a binary frame
   */
  public static <O> String encodeData(Codec<?, O> codec, O message) {
    Message frame = codec.encode(message);
    if (frame instanceof Message.Text text) {
      return text.text();
    }
    throw new EncodeException(
        "SSE data must be text: "
            + codec
            + " produced a binary frame of "
            + frame.size()
            + " bytes",
        null);
  }

  /** This event with id {@code id} (null or empty for none). */
  public SseEvent withId(@Nullable String id) {
    return new SseEvent(event, id, retryMillis, data);
  }

  /** This event with a reconnection hint of {@code retryMillis} ms (0 for none). */
  public SseEvent withRetry(long retryMillis) {
    return new SseEvent(event, id, retryMillis, data);
  }

  /** The event name, or null for the default {@code message}. */
  public @Nullable String event() {
    return event;
  }

  /** The id, or null. */
  public @Nullable String id() {
    return id;
  }

  /** The reconnection hint in ms, 0 for none. */
  public long retryMillis() {
    return retryMillis;
  }

  /** The data text as given (line breaks are framed as separate {@code data:} lines). */
  public String data() {
    return data;
  }

  /** The framed UTF-8 bytes (a copy). */
  public byte[] toBytes() {
    return wire.clone();
  }

  /** The framed bytes without copying; callers must not change them. */
  byte[] wire() {
    return wire;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SseEvent e && Arrays.equals(wire, e.wire);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(wire);
  }

  @Override
  public String toString() {
    return "SseEvent[event="
        + event
        + ", id="
        + id
        + (retryMillis > 0 ? ", retry=" + retryMillis : "")
        + ", "
        + data.length()
        + " chars]";
  }
}
