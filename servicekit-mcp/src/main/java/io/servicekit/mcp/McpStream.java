package io.servicekit.mcp;

import io.servicekit.sse.EventStore;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.StoredEvent;
import io.servicekit.streamable.StreamClosedException;
import io.servicekit.streamable.StreamSession;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * One logical stream of a session: the answer to one POST (which ends once every response it owes
 * has been sent) or the standalone GET stream (which lasts as long as the session). Messages get
 * event ids {@code <streamId>_<seq>}, unique in the session, and are kept in the {@link EventStore}
 * under {@code <sessionId>/<streamId>}, so a client can resume exactly this stream with {@code
 * Last-Event-ID}. At most one connection is attached at a time; a resuming connection replaces the
 * previous one.
 *
 * <p>A POST stream starts undecided: if its responses are ready before anything else is sent, they
 * go back as plain JSON ({@link #awaitDecision}); the first notification or request switches it to
 * an event stream.
 */
final class McpStream implements ResponseStream {
  private static final long WAIT_SLICE_MS = 1000;

  final String id;
  final String storeKey;
  final boolean standalone;
  private final EventStore store;
  private final Runnable onDetach;
  private final java.util.function.Consumer<McpStream> onDelivered;
  private final Limits limits;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long seq; // last event id assigned, guarded by lock
  private int owed; // responses still owed (POST streams), guarded by lock
  private boolean sse; // guarded by lock
  private boolean ended; // guarded by lock
  private long generation; // connections attached so far, guarded by lock
  private boolean reserved; // a GET is about to attach, guarded by lock
  private long reservedAt; // its System.nanoTime(), guarded by lock
  private long disconnectTarget = -1; // generation to close (SEP-1699), guarded by lock
  private @Nullable StreamSession attached; // guarded by lock
  private volatile long delivered; // highest sequence number written to some connection
  private volatile boolean fullyDelivered; // ended and every event written to a connection
  private final List<JsonNode> jsonResponses = new ArrayList<>(); // before switching to SSE
  private long answerBytes; // bytes of the responses emitted so far, guarded by lock

  /**
   * @param onDetach run (outside the stream's lock) each time a connection leaves the stream
   * @param onDelivered run (outside the lock) once the stream has ended and its last event has been
   *     written to a connection: nothing can need it any more
   */
  McpStream(
      String sessionId,
      String id,
      EventStore store,
      int owed,
      boolean standalone,
      Limits limits,
      Runnable onDetach,
      java.util.function.Consumer<McpStream> onDelivered) {
    this.id = id;
    this.limits = limits;
    this.onDetach = onDetach;
    this.onDelivered = onDelivered;
    this.storeKey = sessionId + "/" + id;
    this.store = store;
    this.owed = owed;
    this.standalone = standalone;
    this.sse = standalone;
  }

  /** The id of the event with sequence number {@code n}. */
  String eventId(long n) {
    return id + "_" + n;
  }

  /** The sequence number in {@code eventId}, or -1 if it is not an id of this stream. */
  long seqOf(String eventId) {
    if (eventId == null || !eventId.startsWith(id + "_")) {
      return -1;
    }
    try {
      return Long.parseLong(eventId.substring(id.length() + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Sends {@code message} on this stream; {@code response} marks one of the responses the stream
   * owes. A response that would take the responses of this stream over {@link
   * Limits#maxAnswerBytes} is replaced by an error response naming the limit. Returns false when
   * the stream has ended (the message is dropped).
   */
  @Override
  public boolean emit(JsonNode message, boolean response) {
    String text = message.toString();
    lock.lock();
    try {
      if (ended) {
        return false;
      }
      if (response) {
        long bytes = Limits.utf8Length(text);
        if (answerBytes + bytes > limits.maxAnswerBytes()) {
          message = tooLarge(message, bytes);
          text = message.toString();
          bytes = Limits.utf8Length(text);
        }
        answerBytes += bytes;
      }
      if (!sse && response) {
        jsonResponses.add(message);
      } else {
        switchToSse();
        store(text);
      }
      if (response && --owed <= 0 && !standalone) {
        ended = true;
      }
      changed.signalAll();
      return true;
    } finally {
      lock.unlock();
    }
  }

  private JsonNode tooLarge(JsonNode response, long bytes) {
    return Messages.errorResponse(
        response.get("id"),
        McpError.INTERNAL_ERROR,
        "Answer too large: this response is "
            + bytes
            + " bytes and the responses to this POST already took "
            + answerBytes
            + ", over maxAnswerBytes "
            + limits.maxAnswerBytes()
            + " (send fewer requests per batch, or ask for less)",
        null);
  }

  /**
   * Gives up one owed response without sending anything (its request was cancelled: the spec says
   * not to answer it).
   */
  @Override
  public void skipResponse() {
    lock.lock();
    try {
      if (!ended && --owed <= 0 && !standalone) {
        ended = true;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void switchToSse() {
    if (!sse) {
      sse = true;
      for (JsonNode r : jsonResponses) {
        store(r.toString());
      }
      jsonResponses.clear();
    }
  }

  private void store(String message) {
    seq++;
    store.store(storeKey, new StoredEvent(eventId(seq), null, message));
  }

  /**
   * The lowest sequence number a resumption can still be sent: the stream keeps its last {@link
   * Limits#maxStoredEvents} events.
   */
  long oldestKept() {
    lock.lock();
    try {
      return Math.max(1, seq - limits.maxStoredEvents() + 1);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Asks the current connection (or, if none is attached, the next one) to close after what was
   * sent (SEP-1699 polling). A connection that attaches later is not affected.
   */
  @Override
  public void requestDisconnect() {
    lock.lock();
    try {
      switchToSse();
      disconnectTarget = attached != null ? generation : generation + 1;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Graceful end (server shutdown): the stream ends as soon as it owes no response — at once for
   * the standalone stream and a POST stream that has answered everything — and its attached
   * connection is sent what the stream holds before it closes.
   */
  void endWhenAnswered() {
    lock.lock();
    try {
      if (owed <= 0 || standalone) {
        ended = true;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until the stream has ended and no connection is attached (its pump has sent what it held
   * and closed), or until {@code deadlineNanos} ({@link System#nanoTime}); returns whether it did.
   */
  boolean awaitFinished(long deadlineNanos) throws InterruptedException {
    lock.lock();
    try {
      while (!ended || attached != null) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        changed.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Ends the stream (session over): the attached connection closes. */
  void end() {
    StreamSession sink;
    lock.lock();
    try {
      ended = true;
      sink = attached;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (sink != null) {
      sink.close();
    }
  }

  /**
   * Waits until the stream is decided: returns the JSON responses if they were all ready before
   * anything else, or null if it became an event stream.
   */
  @Nullable List<JsonNode> awaitDecision() throws InterruptedException {
    lock.lock();
    try {
      while (!sse && !ended) {
        changed.await();
      }
      return sse ? null : List.copyOf(jsonResponses);
    } finally {
      lock.unlock();
    }
  }

  /** The highest sequence number written to a connection so far. */
  long delivered() {
    return delivered;
  }

  /**
   * Claims the stream for a new standalone connection: false if one is attached or another GET
   * claimed it less than 10 s ago and has not attached yet (so two concurrent GETs cannot both pass
   * the one-stream check).
   */
  boolean tryReserve() {
    lock.lock();
    try {
      long now = System.nanoTime();
      if (attached != null || (reserved && now - reservedAt < TimeUnit.SECONDS.toNanos(10))) {
        return false;
      }
      reserved = true;
      reservedAt = now;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Whether the stream has ended and its last event has been written to a connection. */
  boolean isDelivered() {
    return fullyDelivered;
  }

  /** Whether a connection is attached now. */
  boolean isAttached() {
    lock.lock();
    try {
      return attached != null;
    } finally {
      lock.unlock();
    }
  }

  /** Whether the stream has ended. */
  boolean isEnded() {
    lock.lock();
    try {
      return ended;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Attaches {@code sink} (replacing and closing any attached connection) and feeds it every event
   * after sequence number {@code after}, then live ones, until the stream ends (then closes it),
   * the client goes away, a disconnect is requested, or another connection takes over.
   *
   * @param first an event to send before anything else (the priming event), or null
   * @param retry the {@code retry} hint to send before a requested disconnect, or null
   */
  void pump(StreamSession sink, long after, @Nullable SseEvent first, @Nullable Duration retry)
      throws InterruptedException {
    StreamSession previous;
    long me;
    lock.lock();
    try {
      previous = attached;
      attached = sink;
      me = ++generation;
      reserved = false;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (previous != null && previous != sink) {
      previous.close();
    }
    sink.onClose(() -> detach(sink));
    try {
      if (first != null) {
        sink.send(first);
      }
      long sent = after;
      while (true) {
        long upTo;
        boolean endedNow;
        boolean disconnect;
        lock.lock();
        try {
          while (attached == sink
              && sink.isOpen()
              && seq <= sent
              && !ended
              && disconnectTarget != me) {
            changed.await(WAIT_SLICE_MS, TimeUnit.MILLISECONDS);
          }
          if (attached != sink || !sink.isOpen()) {
            return;
          }
          upTo = seq;
          endedNow = ended;
          disconnect = disconnectTarget == me;
          if (disconnect) {
            disconnectTarget = -1;
          }
        } finally {
          lock.unlock();
        }
        if (upTo > sent) {
          for (StoredEvent e : store.events(storeKey)) {
            long n = seqOf(e.id());
            if (n > sent && n <= upTo) {
              sink.send(e.toEvent());
            }
          }
          sent = upTo;
          delivered = Math.max(delivered, sent);
        }
        if (endedNow) {
          sink.close();
          fullyDelivered = true;
          onDelivered.accept(this); // its last event is written
          return;
        }
        if (disconnect) {
          if (retry != null) {
            sink.retry(retry);
          }
          sink.close();
          return;
        }
      }
    } catch (StreamClosedException e) {
      // the client went away: what was not sent stays in the store for a resumption
    } finally {
      detach(sink);
    }
  }

  private void detach(StreamSession sink) {
    boolean detached = false;
    lock.lock();
    try {
      if (attached == sink) {
        attached = null;
        detached = true;
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
    if (detached) {
      onDetach.run();
    }
  }

  @Override
  public String toString() {
    return "McpStream[" + storeKey + (standalone ? ", standalone" : "") + "]";
  }
}
