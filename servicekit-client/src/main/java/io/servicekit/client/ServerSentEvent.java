package io.servicekit.client;

/**
 * One event received from a {@code text/event-stream}.
 *
 * @param type the event type: the {@code event:} field, or {@code message} if there was none
 * @param data the {@code data:} lines joined with LF
 * @param id this event's own {@code id:} field, or null if it had none
 * @param lastEventId the stream's last event id when the event was dispatched (sticky across
 *     events; what a reconnect sends as {@code Last-Event-ID}); empty if none yet
 */
public record ServerSentEvent(String type, String data, String id, String lastEventId) {
  /** The default event type. */
  public static final String MESSAGE = "message";
}
