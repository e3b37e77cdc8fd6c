package io.servicekit.sse;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Keeps recent events per stream so that a client reconnecting with {@code Last-Event-ID} can be
 * sent what it missed. Streams are named by opaque ids; event ids are opaque strings compared for
 * equality only (no ordering by value). If an id occurs twice in a stream, the first occurrence
 * anchors a replay.
 *
 * <p>Implementations must be thread-safe. {@link ResumableStreams} uses only the asynchronous
 * methods ({@link #append}, {@link #readAfter}, {@link #readAll}) and never waits on them: it calls
 * {@link #append} and {@link #readAfter} for one stream under that stream's lock, and an
 * implementation must complete them <em>in call order</em> and let a read see every append called
 * before it (one ordered connection to a server does; an in-memory store completes at once). The
 * defaults run the synchronous methods and complete at once: right for stores in memory, wrong for
 * one that does I/O, which must override them.
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
   * Appends {@code event} without blocking. Completes when it is stored; fails (e.g. with {@link
   * io.servicekit.broker.BrokerUnavailableException}) when it could not be.
   */
  default CompletionStage<Void> append(String streamId, StoredEvent event) {
    try {
      store(streamId, event);
      return CompletableFuture.completedStage(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedStage(e);
    }
  }

  /**
   * {@link #eventsAfter} without blocking. Fails when the store cannot be read (which is not the
   * same as an unknown id: the caller should let the client retry, not resync).
   */
  default CompletionStage<Optional<List<StoredEvent>>> readAfter(
      String streamId, String lastEventId) {
    try {
      return CompletableFuture.completedStage(eventsAfter(streamId, lastEventId));
    } catch (RuntimeException e) {
      return CompletableFuture.failedStage(e);
    }
  }

  /** {@link #events} without blocking; fails when the store cannot be read. */
  default CompletionStage<List<StoredEvent>> readAll(String streamId) {
    try {
      return CompletableFuture.completedStage(events(streamId));
    } catch (RuntimeException e) {
      return CompletableFuture.failedStage(e);
    }
  }

  /**
   * Whether an append now is expected to succeed: false while a remote store is known to be
   * unreachable or stalled. Default true.
   */
  default boolean available() {
    return true;
  }

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
