package io.servicekit.sse;

import io.servicekit.Codec;
import io.servicekit.JsonCodec;
import io.servicekit.Rejection;
import io.servicekit.Request;
import io.servicekit.broker.Broker;
import io.servicekit.broker.BrokerUnavailableException;
import io.servicekit.internal.BrokerEnvelope;
import io.servicekit.internal.Ids;
import io.servicekit.internal.SseFormat;
import io.servicekit.internal.driver.SseMember;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Built-in {@code Last-Event-ID} resumption (the Go library leaves its event store unwired): named
 * streams of events with ids, an {@link EventStore} that keeps the recent ones, and the live
 * connections of each stream.
 *
 * <h2>How it works</h2>
 *
 * <ul>
 *   <li>Every connection of a resumable endpoint belongs to one <em>stream</em>, named by the
 *       stream-id function from its request (default: the request path, so all clients of {@code
 *       /events} share one stream; use e.g. the user id for per-user streams).
 *   <li>{@link #publish} — and {@link SseSession#send(SseEvent)} on such a session, and an {@link
 *       SseHub} broadcast — assigns the event an id from the {@link IdGen} (unless it has one),
 *       stores it, and queues it to every live connection of the stream, all under the stream's
 *       lock. A hub broadcast publishes once per stream, however many of its members share it.
 *   <li>A connection that arrives with {@code Last-Event-ID: X} is sent, before any live event, the
 *       stored events after X, then joins the live set — atomically with respect to publishing, so
 *       nothing is lost or repeated between replay and live delivery. The store is read
 *       asynchronously; events published meanwhile are held for the connection. A replay larger
 *       than half the connection's {@code maxQueuedBytes} is replaced by a {@code resync} event
 *       (queuing it would close the stream as a slow consumer, and the client would ask for it
 *       again forever); a store that cannot be read ends the stream, so the client retries later
 *       with the same {@code Last-Event-ID}.
 *   <li>If X is not in the stream — never issued there, evicted, issued by another stream, or the
 *       server restarted — the {@link UnknownIdPolicy} decides: by default ({@link
 *       UnknownIdPolicy#RESYNC}) the client gets one {@code resync} event (see {@link
 *       Builder#resyncEvent}) and then live events, never another stream's events and never a
 *       silent replay of everything.
 *   <li>Comments, keepalives, retry hints and {@link SseSession#sendDirect} events are not stored.
 *   <li>Nothing here blocks: the store and the broker are called asynchronously, so publishing from
 *       a scheduler task is fine. With a broker or a shared store that is known to be down, {@link
 *       #publish} refuses the event ({@link BrokerUnavailableException}) before anyone gets it;
 *       {@link #publishAsync} tells each event's fate.
 *   <li>When the broker reports a gap (this node's subscription was lost), live clients are ended
 *       so they resume from a shared store, or sent a {@code resync} without one.
 * </ul>
 *
 * <p>Thread-safe. One instance may serve several endpoints; they then share streams.
 */
public final class ResumableStreams {
  private static final Logger LOG = LoggerFactory.getLogger(ResumableStreams.class);

  /** What a reconnect with a {@code Last-Event-ID} that is not in the stream gets. */
  public enum UnknownIdPolicy {
    /**
     * One event named {@code resync} (configurable) whose data is {@code
     * {"lastEventId":"<X>","reason":"unknown or expired Last-Event-ID"}} and whose id is the
     * stream's newest id (none if the stream is empty), then live events. The client should reload
     * its state; its next reconnect resumes from the newest id.
     */
    RESYNC,
    /**
     * Every retained event of the stream, then live events: the Go library's {@code Replay}
     * fallback. The client may see events it has already seen.
     */
    REPLAY_ALL
  }

  private static final class Stream {
    final String id;
    final ReentrantLock lock = new ReentrantLock();
    final CopyOnWriteArrayList<SseMember<?>> live = new CopyOnWriteArrayList<>();
    // With a shared store and a broker: per resumed connection, the ids it already has from its
    // replay (its Last-Event-ID and the newest replayed ids). Another node's event can reach the
    // shared store before it comes through the broker; these are not delivered twice. Forgotten
    // once the connection has had LATE_WINDOW newer events through the broker (pub/sub delivers
    // each node's events in order, so late copies come first) or has left.
    final Map<SseMember<?>, LateCopies> replayed = new HashMap<>(); // guarded by lock
    // Connections whose replay is being read from the store: the live events published meanwhile,
    // sent after the replay (without those the read already saw). Guarded by lock.
    final Map<SseMember<?>, List<SseEvent>> joining = new HashMap<>();
    boolean dead; // removed from the map; guarded by lock

    Stream(String id) {
      this.id = id;
    }
  }

  /** How many of a replay's newest ids are remembered against late broker copies. */
  private static final int REPLAYED_TAIL = 64;

  /** After this many newer broker events a resumed connection's late-copy ids are forgotten. */
  private static final int LATE_WINDOW = 16;

  /** The ids a resumed connection already has, and how many newer broker events it has had. */
  private static final class LateCopies {
    final Set<String> ids;
    int newer;

    LateCopies(Set<String> ids) {
      this.ids = ids;
    }
  }

  private final EventStore store;
  private final IdGen ids;
  private final Function<Request, String> streamIdOf;
  private final UnknownIdPolicy unknownIdPolicy;
  private final String resyncEvent;
  private final ConcurrentHashMap<String, Stream> streams = new ConcurrentHashMap<>();
  private final @Nullable Broker broker; // null on one node
  private final @Nullable String topic; // null without a broker
  private final String nodeId = Ids.random();
  private final LongAdder publishFailures = new LongAdder();
  private final LongAdder storeFailures = new LongAdder();
  private final LongAdder gaps = new LongAdder();
  // Streams whose event could not be handed to the broker after local delivery: the other nodes
  // are owed a gap notice, sent before the stream's next event or when the broker is back.
  private final Set<String> owedGaps = ConcurrentHashMap.newKeySet();
  private static final byte EVENT = 1;
  private static final byte GAP = 2;

  private ResumableStreams(Builder b) {
    this.broker = b.broker;
    this.topic = b.topic;
    this.store = b.store != null ? b.store : new MemoryEventStore();
    this.ids = b.ids != null ? b.ids : new EpochIdGen();
    this.streamIdOf = Objects.requireNonNull(b.streamIdOf, "streamId");
    this.unknownIdPolicy = Objects.requireNonNull(b.unknownIdPolicy, "unknownIdPolicy");
    SseFormat.checkField("event name", b.resyncEvent);
    if (b.resyncEvent == null || b.resyncEvent.isEmpty()) {
      throw new IllegalArgumentException("resyncEvent must be a non-empty event name");
    }
    this.resyncEvent = b.resyncEvent;
    if (broker != null) {
      broker.subscribePattern(topic + ".*", this::onBrokerMessage);
      broker.onGap(this::onGap);
    }
  }

  /**
   * Resumable streams with the defaults: memory store (1000 per stream), {@link EpochIdGen} ids.
   */
  public static ResumableStreams inMemory() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The store events are kept in. */
  public EventStore store() {
    return store;
  }

  public UnknownIdPolicy unknownIdPolicy() {
    return unknownIdPolicy;
  }

  /**
   * The stream a request belongs to.
   *
   * @throws Rejection if the stream-id function refuses the request
   * @throws IllegalStateException if the function returns null
   */
  public String streamIdFor(Request request) {
    String id = streamIdOf.apply(request);
    if (id == null) {
      throw new IllegalStateException("the stream-id function returned null for " + request);
    }
    return id;
  }

  /**
   * Publishes {@code event} to {@code streamId}: assigns an id if it has none, appends it to the
   * store, queues it to every live connection of the stream, and hands it to the broker if there is
   * one. Works with no connection live (the event waits in the store for a reconnect). Never
   * blocks: the store and the broker are asynchronous; use {@link #publishAsync} to learn whether
   * they accepted it (failures here are counted and logged).
   *
   * @return the event's id
   * @throws BrokerUnavailableException if the broker or a shared store is known to be unreachable:
   *     the event was refused before anyone received it
   */
  public String publish(String streamId, SseEvent event) {
    return dispatch(streamId, event).id;
  }

  /**
   * Like {@link #publish(String, SseEvent)}, with the event's fate: the stage completes with the
   * event's id once the store has it and the broker (if any) has accepted it, and fails with {@link
   * BrokerUnavailableException} when the event was refused ({@code deliveredLocally()} false:
   * nobody received it) or when the store or the broker failed after this node's live connections
   * got it ({@code deliveredLocally()} true: it may be missing from replays and from other nodes).
   */
  public CompletionStage<String> publishAsync(String streamId, SseEvent event) {
    Dispatched d;
    try {
      d = dispatch(streamId, event);
    } catch (BrokerUnavailableException e) {
      return CompletableFuture.failedStage(e);
    }
    return d.stored
        .thenCombine(d.relayed, (a, b) -> d.id)
        .exceptionallyCompose(
            e -> {
              Throwable cause =
                  e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
              return CompletableFuture.failedStage(
                  new BrokerUnavailableException(
                      "event "
                          + d.id
                          + " of stream "
                          + streamId
                          + " reached this node's live clients but not the cluster: "
                          + cause.getMessage(),
                      true,
                      cause));
            });
  }

  private record Dispatched(
      String id, CompletionStage<Void> stored, CompletionStage<Void> relayed) {}

  private static final CompletionStage<Void> DONE = CompletableFuture.completedStage(null);

  private Dispatched dispatch(String streamId, SseEvent event) {
    Objects.requireNonNull(streamId, "streamId");
    Objects.requireNonNull(event, "event");
    Broker b = broker;
    if (b != null && !b.available()) {
      throw new BrokerUnavailableException(
          "streams " + topic + ": the broker " + broker + " is unavailable; event not published",
          false,
          null);
    }
    if (store.shared() && !store.available()) {
      throw new BrokerUnavailableException(
          "streams: the shared store " + store + " is unavailable; event not published",
          false,
          null);
    }
    SseEvent e;
    String id;
    byte[] relayed = null;
    CompletionStage<Void> stored;
    Stream s = lockStream(streamId);
    try {
      String given = event.id();
      id = given != null ? given : ids.next();
      e = given != null ? event : event.withId(id);
      if (b != null) {
        relayed =
            new BrokerEnvelope(
                    nodeId,
                    EVENT,
                    streamId,
                    "",
                    e.event(),
                    e.id(),
                    false,
                    e.data().getBytes(StandardCharsets.UTF_8))
                .toBytes();
        Broker.checkSize(topic + "." + streamId, relayed.length, b.maxPayloadBytes());
      }
      // Under the lock, so the store sees the stream's events (and a joining reader) in order.
      stored = store.append(streamId, new StoredEvent(id, e.event(), e.data()));
      byte[] wire = e.wire();
      for (SseMember<?> c : s.live) {
        c.enqueue(wire);
      }
      for (List<SseEvent> pending : s.joining.values()) {
        pending.add(e);
      }
    } finally {
      unlockStream(s);
    }
    stored.whenComplete(
        (v, ex) -> {
          if (ex != null) {
            storeFailures.increment();
          }
        });
    // Outside the lock: an in-process broker delivers synchronously into other nodes' locks.
    CompletionStage<Void> relay = DONE;
    if (b != null && relayed != null) {
      if (owedGaps.remove(streamId)) {
        sendGapNotice(streamId); // ahead of this event, on the same ordered connection
      }
      try {
        relay = b.publish(topic + "." + streamId, relayed);
      } catch (RuntimeException ex) {
        relay = CompletableFuture.failedStage(ex);
      }
      relay.whenComplete(
          (v, ex) -> {
            if (ex != null) {
              publishFailures.increment();
              owedGaps.add(streamId); // other nodes are told before this stream's next event
              LOG.warn(
                  "streams {}: event {} of stream {} was not handed to the broker; other nodes'"
                      + " live clients may miss it: {}",
                  topic,
                  id,
                  streamId,
                  ex.toString());
            }
          });
    }
    return new Dispatched(id, stored, relay);
  }

  /** Tells the other nodes that live clients of {@code streamId} may have missed an event. */
  private void sendGapNotice(String streamId) {
    Broker b = broker;
    if (b == null) {
      return; // only a clustered instance owes gap notices
    }
    byte[] notice =
        new BrokerEnvelope(nodeId, GAP, streamId, "", null, null, false, new byte[0]).toBytes();
    CompletionStage<Void> sent;
    try {
      sent = b.publish(topic + "." + streamId, notice);
    } catch (RuntimeException ex) {
      sent = CompletableFuture.failedStage(ex);
    }
    sent.whenComplete(
        (v, ex) -> {
          if (ex != null) {
            owedGaps.add(streamId);
          }
        });
  }

  /** Events the store failed to keep (they reached live clients but cannot be replayed). */
  public long storeFailures() {
    return storeFailures.sum();
  }

  /** How many events could not be handed to the broker (other nodes' live clients missed them). */
  public long brokerPublishFailures() {
    return publishFailures.sum();
  }

  /** An event another node published: queue it to the local live connections of its stream. */
  private void onBrokerMessage(String t, byte[] payload) {
    BrokerEnvelope env;
    try {
      env = BrokerEnvelope.parse(payload);
    } catch (IllegalArgumentException ex) {
      LOG.warn(
          "streams {}: dropped a malformed broker message on {}: {}", topic, t, ex.getMessage());
      return;
    }
    if (env.nodeId().equals(nodeId)) {
      return; // our own echo
    }
    String streamId = env.target();
    if (!t.equals(topic + "." + streamId)) {
      return; // another topic that our pattern also matches
    }
    if (env.kind() == GAP) {
      Stream gapped = streams.get(streamId);
      if (gapped != null) {
        gaps.increment();
        resyncLive(gapped, "another node could not hand an event to the broker", 0);
      }
      return;
    }
    String id = env.b();
    if (id == null || id.isEmpty()) { // every node assigns ids before it publishes
      LOG.warn("streams {}: dropped a broker event without an id on {}", topic, t);
      return;
    }
    SseEvent e = SseEvent.of(env.a(), id, 0, new String(env.payload(), StandardCharsets.UTF_8));
    boolean keep = !store.shared();
    Stream s = keep ? lockStream(streamId) : streams.get(streamId);
    if (s == null) {
      return; // no live connection here; the shared store has it for resumes
    }
    if (!keep) {
      s.lock.lock();
    }
    try {
      if (s.dead) {
        return;
      }
      if (keep) {
        store.append(streamId, new StoredEvent(id, e.event(), e.data()));
      }
      for (List<SseEvent> pending : s.joining.values()) {
        pending.add(e);
      }
      boolean anyReplayed = !s.replayed.isEmpty(); // nearly always false: no lookups then
      for (SseMember<?> c : s.live) {
        LateCopies late = anyReplayed ? s.replayed.get(c) : null;
        if (late != null) {
          boolean duplicate = late.ids.remove(id);

          if (late.ids.isEmpty() || (!duplicate && ++late.newer >= LATE_WINDOW)) {
            s.replayed.remove(c);
          }
          if (duplicate) {
            continue; // already sent in its replay
          }
        }
        c.enqueue(e.wire());
      }
    } finally {
      unlockStream(s);
    }
  }

  /**
   * Publishes {@code message}, encoded by {@code codec}, as an event named {@code event} (null for
   * {@code message}).
   *
   * @return the event's id
   */
  public <O> String publish(String streamId, Codec<?, O> codec, @Nullable String event, O message) {
    return publish(streamId, SseEvent.encode(codec, event, null, message));
  }

  /** Number of live connections of {@code streamId}. */
  public int liveCount(String streamId) {
    Stream s = streams.get(streamId);
    return s == null ? 0 : s.live.size();
  }

  // ---------------------------------------------------------------- connections

  /**
   * Makes {@code conn} live in {@code streamId}; with a {@code lastEventId}, first reads the stream
   * (asynchronously) and queues what the client missed. Events published while the read is under
   * way are held for {@code conn} and queued after the replay, so nothing is lost or repeated.
   */
  void join(SseMember<?> conn, String streamId, @Nullable String lastEventId) {
    Stream s = lockStream(streamId);
    CompletionStage<List<StoredEvent>> read;
    try {
      if (conn.isFinished()) {
        return;
      }
      if (lastEventId == null) {
        s.live.add(conn);
        return;
      }
      s.joining.put(conn, new ArrayList<>());
      // Under the lock: the store completes reads and appends in call order, so this read sees
      // every event published before it and none published after (those go to the pending list).
      read = store.readAll(streamId);
    } finally {
      unlockStream(s);
    }
    read.whenComplete((all, err) -> finishJoin(conn, streamId, lastEventId, all, err));
  }

  private void finishJoin(
      SseMember<?> conn,
      String streamId,
      String lastEventId,
      @Nullable List<StoredEvent> all,
      @Nullable Throwable err) {
    Stream s = lockStream(streamId);
    try {
      List<SseEvent> pending = s.joining.remove(conn);
      if (pending == null || conn.isFinished()) {
        return; // left meanwhile
      }
      if (err != null || all == null) {
        // Not an unknown id: the store could not be read. End the stream; the client keeps its
        // Last-Event-ID and tries again after the retry hint.
        LOG.warn(
            "streams: could not read stream {} to resume {} after {}; ending it so the client"
                + " retries: {}",
            streamId,
            conn.id(),
            lastEventId,
            err != null ? err.toString() : "the store completed the read with null");
        conn.close();
        return;
      }
      Set<String> seen = new HashSet<>();
      int anchor = -1;
      for (int i = 0; i < all.size(); i++) {
        if (all.get(i).id().equals(lastEventId)) {
          anchor = i;
          break;
        }
      }
      if (anchor >= 0) {
        List<StoredEvent> replay = all.subList(anchor + 1, all.size());
        long bytes = 0;
        List<byte[]> wires = new ArrayList<>(replay.size());
        for (StoredEvent e : replay) {
          byte[] w = e.toEvent().wire();
          bytes += w.length;
          wires.add(w);
        }
        long budget = conn.maxQueuedBytes() / 2;
        if (bytes > budget) {
          // Queuing it would close the stream as a slow consumer, and the client would come back
          // for the same replay forever: tell it to reload instead.
          conn.enqueue(
              resync(
                      all,
                      lastEventId,
                      "the "
                          + replay.size()
                          + " missed events ("
                          + bytes
                          + " bytes) exceed the replay budget (half of maxQueuedBytes: "
                          + budget
                          + " bytes)")
                  .wire());
        } else {
          for (byte[] w : wires) {
            conn.enqueue(w);
          }
          if (broker != null && store.shared()) {
            s.replayed.put(conn, new LateCopies(replayedTail(lastEventId, replay)));
          }
        }
      } else {
        switch (unknownIdPolicy) {
          case RESYNC ->
              conn.enqueue(resync(all, lastEventId, "unknown or expired Last-Event-ID").wire());
          case REPLAY_ALL -> {
            for (StoredEvent e : all) {
              conn.enqueue(e.toEvent().wire());
            }
          }
        }
      }
      for (StoredEvent e : all) {
        seen.add(e.id());
      }
      for (SseEvent e : pending) {
        if (!seen.contains(e.id())) {
          conn.enqueue(e.wire());
        }
      }
      if (!conn.isFinished()) {
        s.live.add(conn);
      }
    } finally {
      unlockStream(s);
    }
  }

  /**
   * The broker lost this node's subscription and is back: live clients may have missed other nodes'
   * events. With a shared store each is ended, so it reconnects with its Last-Event-ID and is sent
   * exactly what it missed (or a resync if the store lost it too); otherwise each gets a {@code
   * resync} event.
   */
  private void onGap(io.servicekit.broker.BrokerGap gap) {
    gaps.increment();
    LOG.warn(
        "streams {}: {}; {} live clients",
        topic,
        gap.reason(),
        store.shared() ? "ending the streams so they resume from the shared store" : "resyncing");
    for (String owed : List.copyOf(owedGaps)) {
      if (owedGaps.remove(owed)) {
        sendGapNotice(owed); // this node's own failed hand-overs are owed to the others
      }
    }
    for (Stream s : streams.values()) {
      resyncLive(s, "broker outage: " + gap.reason(), gap.outage().toMillis());
    }
  }

  /**
   * The live clients of {@code s} may have missed events: with a shared store each is ended so it
   * resumes exactly from the store; otherwise each gets a {@code resync} event.
   */
  private void resyncLive(Stream s, String reason, long outageMs) {
    s.lock.lock();
    try {
      for (SseMember<?> c : s.live) {
        if (store.shared()) {
          c.close();
        } else {
          Map<String, Object> data = new LinkedHashMap<>();
          data.put("reason", reason);
          data.put("outageMs", outageMs);
          c.enqueue(SseEvent.encode(JsonCodec.INSTANCE, resyncEvent, null, data).wire());
        }
      }
    } finally {
      unlockStream(s);
    }
  }

  /** How many broker gaps (lost and restored subscriptions) this instance has handled. */
  public long brokerGaps() {
    return gaps.sum();
  }

  /** Removes {@code conn} from the live set of {@code streamId}. */
  void leave(SseMember<?> conn, String streamId) {
    Stream s = streams.get(streamId);
    if (s == null) {
      return;
    }
    s.lock.lock();
    try {
      s.live.remove(conn);
      s.replayed.remove(conn);
      s.joining.remove(conn);
    } finally {
      unlockStream(s);
    }
  }

  /** Ids a resumed connection has that may still come through the broker: the newest ones. */
  private static Set<String> replayedTail(String lastEventId, List<StoredEvent> replay) {
    Set<String> ids = new HashSet<>();
    ids.add(lastEventId);
    for (int i = Math.max(0, replay.size() - REPLAYED_TAIL); i < replay.size(); i++) {
      ids.add(replay.get(i).id());
    }
    return ids;
  }

  private SseEvent resync(List<StoredEvent> all, String lastEventId, String reason) {
    String newest = all.isEmpty() ? null : all.get(all.size() - 1).id();
    Map<String, String> data = new LinkedHashMap<>();
    data.put("lastEventId", lastEventId);
    data.put("reason", reason);
    return SseEvent.encode(JsonCodec.INSTANCE, resyncEvent, newest, data);
  }

  /** Locks the live stream named {@code id}, creating it if needed. */
  @SuppressWarnings("LockNotBeforeTry") // returns with the lock held; callers unlock in finally
  private Stream lockStream(String id) {
    while (true) {
      Stream s = streams.computeIfAbsent(id, Stream::new);
      s.lock.lock();
      if (!s.dead) {
        return s;
      }
      s.lock.unlock(); // emptied and removed meanwhile: take the new one
    }
  }

  /** Unlocks {@code s}, forgetting it once no connection is live (the store keeps its events). */
  private void unlockStream(Stream s) {
    try {
      if (s.live.isEmpty() && s.joining.isEmpty() && !s.dead) {
        s.dead = true;
        streams.remove(s.id, s);
      }
    } finally {
      s.lock.unlock();
    }
  }

  /** Builds {@link ResumableStreams}. */
  public static final class Builder {
    private @Nullable EventStore store;
    private @Nullable IdGen ids;
    private Function<Request, String> streamIdOf = Request::path;
    private UnknownIdPolicy unknownIdPolicy = UnknownIdPolicy.RESYNC;
    private String resyncEvent = "resync";
    private @Nullable Broker broker;
    private @Nullable String topic;

    private Builder() {}

    /** Where events are kept; default a new {@link MemoryEventStore} (1000 per stream). */
    public Builder store(EventStore v) {
      store = v;
      return this;
    }

    /**
     * Where ids come from; default a new {@link EpochIdGen} ({@code "<epoch>-1"}, {@code
     * "<epoch>-2"}, ...: never repeated across restarts, unique across nodes). An {@link
     * AtomicIdGen} ({@code "1"}, {@code "2"}, ...) starts again at every restart, so a client could
     * resume from a reissued id: use it only with a store that dies with the process and clients
     * that do not outlive it.
     */
    public Builder idGen(IdGen v) {
      ids = v;
      return this;
    }

    /**
     * Names the stream of a request; default the request path. May throw {@link Rejection} to
     * refuse the request.
     */
    public Builder streamId(Function<Request, String> v) {
      streamIdOf = v;
      return this;
    }

    /**
     * What an unknown or evicted {@code Last-Event-ID} gets; default {@link
     * UnknownIdPolicy#RESYNC}.
     */
    public Builder unknownIdPolicy(UnknownIdPolicy v) {
      unknownIdPolicy = v;
      return this;
    }

    /**
     * Spans the streams across nodes: each published event is stored, queued to this node's live
     * connections of its stream, then published to {@code <topic>.<streamId>} with this node's id;
     * the other nodes queue it to their live connections of that stream (and store it too unless
     * the store is {@linkplain EventStore#shared() shared}). Ids must then be unique across nodes
     * (e.g. the Redis module's id generator). Delivery between nodes is at most once; a client that
     * missed an event live gets it on its next resume from a shared store. A client resumed from a
     * shared store is not sent again, when it comes late through the broker, its {@code
     * Last-Event-ID} or one of the newest 64 events of its replay (remembered until 16 newer events
     * have come through the broker).
     *
     * @throws IllegalArgumentException if {@code topic} is empty or contains {@code *}
     */
    public Builder broker(Broker broker, String topic) {
      this.topic = Broker.checkTopicPrefix("streams topic", topic);
      this.broker = Objects.requireNonNull(broker, "broker");
      return this;
    }

    /** Name of the resync event; default {@code resync}. */
    public Builder resyncEvent(String v) {
      resyncEvent = v;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException if the resync event name is empty or contains CR, LF or NUL
     */
    public ResumableStreams build() {
      return new ResumableStreams(this);
    }
  }
}
