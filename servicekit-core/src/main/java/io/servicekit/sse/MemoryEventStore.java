package io.servicekit.sse;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory {@link EventStore} bounded in two ways (the Go library's {@code MemoryEventStore}
 * bounds only the first):
 *
 * <ul>
 *   <li>at most {@code maxPerStream} events per stream (default 1000): storing one more evicts the
 *       oldest, in O(1);
 *   <li>at most {@code maxStreams} streams (default 10 000): storing into a new stream beyond that
 *       forgets the stream least recently stored to or read.
 * </ul>
 *
 * <p>Looking up the anchor of a replay is O(1); a replay copies the events after it. One lock
 * guards the store: operations are short and never call out.
 */
public final class MemoryEventStore implements EventStore {
  /** Default events kept per stream. */
  public static final int DEFAULT_MAX_PER_STREAM = 1000;

  /** Default number of streams kept. */
  public static final int DEFAULT_MAX_STREAMS = 10_000;

  private record Entry(long seq, StoredEvent event) {}

  private static final class Stream {
    final ArrayDeque<Entry> events = new ArrayDeque<>();
    final Map<String, Long> firstSeqById = new HashMap<>();
    long nextSeq;
  }

  private final int maxPerStream;
  private final int maxStreams;
  private final ReentrantLock lock = new ReentrantLock();
  private final LinkedHashMap<String, Stream> streams; // access order, guarded by lock

  /** A store with the default bounds. */
  public MemoryEventStore() {
    this(DEFAULT_MAX_PER_STREAM, DEFAULT_MAX_STREAMS);
  }

  /** A store keeping {@code maxPerStream} events per stream and the default number of streams. */
  public MemoryEventStore(int maxPerStream) {
    this(maxPerStream, DEFAULT_MAX_STREAMS);
  }

  /**
   * A store with both bounds.
   *
   * @throws IllegalArgumentException if a bound is not positive
   */
  public MemoryEventStore(int maxPerStream, int maxStreams) {
    if (maxPerStream <= 0) {
      throw new IllegalArgumentException("maxPerStream must be positive: " + maxPerStream);
    }
    if (maxStreams <= 0) {
      throw new IllegalArgumentException("maxStreams must be positive: " + maxStreams);
    }
    this.maxPerStream = maxPerStream;
    this.maxStreams = maxStreams;
    this.streams =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Stream> eldest) {
            return size() > MemoryEventStore.this.maxStreams;
          }
        };
  }

  public int maxPerStream() {
    return maxPerStream;
  }

  public int maxStreams() {
    return maxStreams;
  }

  @Override
  public void store(String streamId, StoredEvent event) {
    Objects.requireNonNull(streamId, "streamId");
    Objects.requireNonNull(event, "event");
    lock.lock();
    try {
      Stream s = streams.computeIfAbsent(streamId, k -> new Stream());
      long seq = s.nextSeq++;
      s.events.addLast(new Entry(seq, event));
      s.firstSeqById.putIfAbsent(event.id(), seq);
      while (s.events.size() > maxPerStream) {
        Entry old = s.events.pollFirst();
        s.firstSeqById.remove(old.event().id(), old.seq());
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Optional<List<StoredEvent>> eventsAfter(String streamId, String lastEventId) {
    lock.lock();
    try {
      Stream s = lastEventId == null ? null : streams.get(streamId);
      Long anchor = s == null ? null : s.firstSeqById.get(lastEventId);
      if (s == null || anchor == null) {
        return Optional.empty();
      }
      List<StoredEvent> out = new ArrayList<>();
      for (Iterator<Entry> it = s.events.descendingIterator(); it.hasNext(); ) {
        Entry e = it.next();
        if (e.seq() <= anchor) {
          break;
        }
        out.add(e.event());
      }
      Collections.reverse(out);
      return Optional.of(out);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<StoredEvent> events(String streamId) {
    lock.lock();
    try {
      Stream s = streams.get(streamId);
      if (s == null) {
        return new ArrayList<>();
      }
      List<StoredEvent> out = new ArrayList<>(s.events.size());
      for (Entry e : s.events) {
        out.add(e.event());
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void trim(String streamId) {
    lock.lock();
    try {
      streams.remove(streamId);
    } finally {
      lock.unlock();
    }
  }

  /** Number of streams held. */
  public int streamCount() {
    lock.lock();
    try {
      return streams.size();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "MemoryEventStore[maxPerStream=" + maxPerStream + ", maxStreams=" + maxStreams + "]";
  }
}
