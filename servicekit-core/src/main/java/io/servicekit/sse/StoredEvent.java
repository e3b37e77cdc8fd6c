package io.servicekit.sse;

import io.servicekit.internal.SseFormat;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An event as kept by an {@link EventStore} for replay: its id, its name (null for {@code message})
 * and its data text, already encoded.
 *
 * @param id the event id, never empty
 * @param event the event name, or null
 * @param data the data text
 */
public record StoredEvent(String id, @Nullable String event, String data) {
  /**
   * Validates the fields as {@link SseFormat} would frame them.
   *
   * @throws IllegalArgumentException if the id is empty, or the id or name contains CR, LF or NUL
   */
  public StoredEvent {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(data, "data");
    if (id.isEmpty()) {
      throw new IllegalArgumentException("stored event id must not be empty");
    }
    SseFormat.checkField("event id", id);
    SseFormat.checkField("event name", event);
    if (event != null && event.isEmpty()) {
      event = null;
    }
  }

  /** The event as sent to a client. */
  public SseEvent toEvent() {
    return SseEvent.of(event, id, 0, data);
  }
}
