package io.servicekit.sse;

import java.util.List;
import java.util.Optional;

/**
 * Keeps recent events per stream so that a client reconnecting with {@code Last-Event-ID} can be
 * sent what it missed. Streams are named by opaque ids; event ids are opaque strings compared for
 * equality only (no ordering by value). If an id occurs twice in a stream, the first occurrence
 * anchors a replay.
 *
 * <p>Implementations must be thread-safe. {@link ResumableStreams} calls {@link #store} and {@link
 * #eventsAfter} for one stream under that stream's lock, so per-stream order is the call order.
 */
public interface EventStore {
  /** Appends {@code event} to {@code streamId}, possibly evicting the oldest events. */
  void store(String streamId, StoredEvent event);

  /**
   * The events of {@code streamId} stored after the event with id {@code lastEventId}, oldest first
   * (empty if it is the newest); or empty if that id is not in the stream — never stored there,
   * evicted, or the stream is unknown. A copy: changing it does not change the store.
   */
  Optional<List<StoredEvent>> eventsAfter(String streamId, String lastEventId);

  /** Every retained event of {@code streamId}, oldest first; empty for an unknown stream. */
  List<StoredEvent> events(String streamId);

  /** Forgets {@code streamId} and its events; an unknown stream is not an error. */
  void trim(String streamId);

  /**
   * Whether every node of a cluster sees the same store (e.g. Redis Streams). {@link
   * ResumableStreams} with a broker stores an event from another node itself only when its store is
   * not shared; default {@code false}.
   */
  default boolean shared() {
    return false;
  }

  /**
   * The Go library's {@code Replay}: the events after {@code lastEventId}, or every retained event
   * when that id is unknown or evicted (a conservative fallback that may repeat events the client
   * has seen). {@link ResumableStreams} does not use this fallback by default; see {@link
   * ResumableStreams.UnknownIdPolicy}.
   */
  default List<StoredEvent> replay(String streamId, String lastEventId) {
    return eventsAfter(streamId, lastEventId).orElseGet(() -> events(streamId));
  }
}
