package io.servicekit;

import io.servicekit.broker.Broker;
import io.servicekit.broker.BrokerUnavailableException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A thread-safe set of connections with rooms, for broadcast: the Go README's {@code ChatServer},
 * {@code ConnectionManager}, {@code Hub} and {@code Room} patterns as one library type.
 *
 * <ul>
 *   <li>{@link #register} ties membership to the connection's lifecycle: a connection leaves the
 *       hub and all its rooms by itself when it closes.
 *   <li>Broadcasts never block: each member has its own bounded queue, so a slow or dead member
 *       cannot delay delivery to the others (its own slow-consumer policy deals with it).
 *   <li>A message is encoded once per codec, not once per member.
 *   <li>Joins, leaves and closes may happen during a broadcast; a member that joins during one may
 *       or may not receive it, one that has closed never does.
 * </ul>
 *
 * @param <O> the outgoing message type of the members
 */
public final class Hub<O> {
  private final int maxConnections;
  private final ConcurrentHashMap<String, WsSession<O>> members = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Set<WsSession<O>>> rooms = new ConcurrentHashMap<>();
  private final AtomicInteger count = new AtomicInteger();
  private final LongAdder delivered = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private volatile @Nullable HubRelay<O> relay; // set by cluster(...), null on one node

  /** A hub without a connection limit. */
  public Hub() {
    this(Integer.MAX_VALUE);
  }

  /** A hub that refuses registrations beyond {@code maxConnections} members. */
  public Hub(int maxConnections) {
    if (maxConnections <= 0) {
      throw new IllegalArgumentException("maxConnections must be positive: " + maxConnections);
    }
    this.maxConnections = maxConnections;
  }

  /**
   * Adds an open connection (call it from {@code onOpen}). Returns {@code false} if the hub is
   * full, the connection is not open, or one with the same id is already registered.
   */
  public boolean register(WsSession<O> session) {
    Objects.requireNonNull(session, "session");
    if (!session.isOpen()) {
      return false;
    }
    if (count.incrementAndGet() > maxConnections) {
      count.decrementAndGet();
      return false;
    }
    if (members.putIfAbsent(session.id(), session) != null) {
      count.decrementAndGet();
      return false;
    }
    session.whenClosed(status -> unregister(session));
    return true;
  }

  /** Removes {@code session} from the hub and its rooms; {@code false} if it was not a member. */
  public boolean unregister(WsSession<O> session) {
    if (!members.remove(session.id(), session)) {
      return false;
    }
    count.decrementAndGet();
    for (String room : rooms.keySet()) {
      leave(session, room);
    }
    return true;
  }

  /** Adds a registered member to {@code room}; {@code false} if it is not a member. */
  public boolean join(WsSession<O> session, String room) {
    Objects.requireNonNull(room, "room");
    if (members.get(session.id()) != session) {
      return false;
    }
    rooms.computeIfAbsent(room, r -> ConcurrentHashMap.newKeySet()).add(session);
    if (members.get(session.id()) != session) {
      leave(session, room); // unregistered meanwhile
      return false;
    }
    return true;
  }

  /** Removes {@code session} from {@code room}; an emptied room disappears. */
  public boolean leave(WsSession<O> session, String room) {
    boolean[] removed = new boolean[1];
    rooms.computeIfPresent(
        room,
        (r, set) -> {
          removed[0] = set.remove(session);
          return set.isEmpty() ? null : set;
        });
    return removed[0];
  }

  /**
   * Spans this hub across nodes through {@code broker}: every node runs the same hub with the same
   * {@code topic}. From then on {@link #broadcast}, {@link #broadcastToRoom} and {@link #send} to a
   * connection that is not local deliver locally first, then publish the message (encoded once by
   * {@code codec}, with this hub's node id) so the other nodes deliver it to their own members; a
   * node drops its own echo. Room {@code r} maps to topic {@code <topic>.room.<r>}, broadcasts to
   * {@code <topic>.all}, targeted sends to {@code <topic>.send}; each node subscribes to {@code
   * <topic>.*}.
   *
   * <ul>
   *   <li>Remote members receive the frame {@code codec} produced, so every member should use that
   *       codec (or one with the same wire format).
   *   <li>Delivery to other nodes is the broker's: at most once. {@link #broadcastIf} stays local.
   *   <li>A message whose envelope exceeds the broker's {@link Broker#maxPayloadBytes()} is refused
   *       with {@link io.servicekit.broker.PayloadTooLargeException} before anyone receives it.
   *   <li>While the broker is known to be down, {@link #broadcast}, {@link #broadcastToRoom} and a
   *       remote {@link #send} throw {@link BrokerUnavailableException} before any member gets the
   *       message. If the broker fails after local delivery, the failure is counted and logged, and
   *       reported by {@link #broadcastAsync} / {@link #broadcastToRoomAsync}.
   *   <li>When this node's subscription was lost and is back ({@link Broker#onGap}), every local
   *       member is sent {@code {"outageMs":n,"reason":"...","topic":"<topic>","type":"resync"}}
   *       (bypassing the codec, like pings): it may have missed messages from other nodes and
   *       should reload its state.
   * </ul>
   *
   * @return closing it detaches the hub from the broker (it becomes local again)
   * @throws IllegalStateException if the hub is already clustered
   * @throws IllegalArgumentException if {@code topic} is empty or contains {@code *}
   */
  public Broker.Subscription cluster(Broker broker, String topic, Codec<?, O> codec) {
    synchronized (this) {
      if (relay != null) {
        throw new IllegalStateException("hub is already clustered on topic " + topic);
      }
      relay = new HubRelay<>(this, broker, topic, codec);
      return relay;
    }
  }

  /** This hub's node id on its broker, or null if it is not clustered. */
  public @Nullable String nodeId() {
    HubRelay<O> r = relay;
    return r == null ? null : r.nodeId();
  }

  synchronized void detach(HubRelay<O> r) {
    if (relay == r) {
      relay = null;
    }
  }

  /**
   * Sends {@code message} to every member; returns how many queued it (on this node).
   *
   * @throws BrokerUnavailableException on a clustered hub whose broker is known to be down: the
   *     message was refused before any member got it
   */
  public int broadcast(O message) {
    return broadcast(message, null);
  }

  /**
   * Sends to every member except the one with id {@code excludeConnId} (may be null).
   *
   * @throws BrokerUnavailableException as {@link #broadcast(Object)}
   */
  public int broadcast(O message, @Nullable String excludeConnId) {
    return broadcastAll(message, excludeConnId).local;
  }

  /**
   * {@link #broadcast(Object)} with the message's fate: completes with the number of local members
   * that queued it once the broker (on a clustered hub) has accepted it for the other nodes; fails
   * with {@link BrokerUnavailableException} when it was refused ({@code deliveredLocally()} false:
   * nobody got it) or when the broker failed after local delivery ({@code deliveredLocally()}
   * true). Never blocks.
   */
  public CompletionStage<Integer> broadcastAsync(O message) {
    try {
      return broadcastAll(message, null).fate();
    } catch (BrokerUnavailableException e) {
      return CompletableFuture.failedStage(e);
    }
  }

  /**
   * {@link #broadcastToRoom(String, Object)} with the message's fate, as {@link #broadcastAsync}.
   */
  public CompletionStage<Integer> broadcastToRoomAsync(String room, O message) {
    try {
      return roomBroadcast(room, message, null).fate();
    } catch (BrokerUnavailableException e) {
      return CompletableFuture.failedStage(e);
    }
  }

  private record Sent(int local, CompletionStage<Void> remote) {
    CompletionStage<Integer> fate() {
      return remote.thenApply(v -> local);
    }
  }

  private static final CompletionStage<Void> LOCAL = CompletableFuture.completedStage(null);

  private Sent broadcastAll(O message, @Nullable String excludeConnId) {
    HubRelay<O> r = relay;
    if (r == null) {
      return new Sent(deliver(members.values(), message, excludeConnId, null), LOCAL);
    }
    byte[] bytes = r.serialize("all", r.envelope(HubRelay.ALL, null, excludeConnId, message));
    r.checkAvailable();
    int n = deliver(members.values(), message, excludeConnId, null);
    return new Sent(n, r.publish("all", bytes));
  }

  /** Sends to the members of {@code room}. */
  public int broadcastToRoom(String room, O message) {
    return broadcastToRoom(room, message, null);
  }

  /**
   * Sends to the members of {@code room} except {@code excludeConnId} (may be null).
   *
   * @throws BrokerUnavailableException as {@link #broadcast(Object)}
   */
  public int broadcastToRoom(String room, O message, @Nullable String excludeConnId) {
    return roomBroadcast(room, message, excludeConnId).local;
  }

  private Sent roomBroadcast(String room, O message, @Nullable String excludeConnId) {
    Objects.requireNonNull(room, "room");
    HubRelay<O> r = relay;
    if (r == null) {
      return new Sent(deliverToRoom(room, message, excludeConnId), LOCAL);
    }
    byte[] bytes =
        r.serialize("room." + room, r.envelope(HubRelay.ROOM, room, excludeConnId, message));
    r.checkAvailable();
    int n = deliverToRoom(room, message, excludeConnId);
    return new Sent(n, r.publish("room." + room, bytes));
  }

  private int deliverToRoom(String room, O message, @Nullable String excludeConnId) {
    Set<WsSession<O>> set = rooms.get(room);
    return set == null ? 0 : deliver(set, message, excludeConnId, null);
  }

  /** Sends to the members for which {@code filter} is true. */
  public int broadcastIf(Predicate<? super WsSession<O>> filter, O message) {
    return deliver(members.values(), message, null, filter);
  }

  /**
   * Sends to the member with id {@code connId}; {@code false} if absent or refused. On a clustered
   * hub a connection that is not local is looked for on the other nodes: the message is published
   * and {@code true} means it was handed to the broker.
   */
  public boolean send(String connId, O message) {
    WsSession<O> session = members.get(connId);
    if (session != null) {
      return deliver(List.of(session), message, null, null) == 1;
    }
    HubRelay<O> r = relay;
    if (r == null) {
      return false;
    }
    byte[] bytes = r.serialize("send", r.envelope(HubRelay.SEND, connId, null, message));
    r.checkAvailable();
    r.publish("send", bytes);
    return true;
  }

  /** Delivers a frame from another node to the local members of a room, one member, or all. */
  void deliverRemote(
      @Nullable String room,
      @Nullable String connId,
      @Nullable String excludeConnId,
      Message frame) {
    Collection<WsSession<O>> targets;
    if (connId != null) {
      WsSession<O> session = members.get(connId);
      targets = session == null ? List.of() : List.of(session);
    } else if (room != null) {
      Set<WsSession<O>> set = rooms.get(room);
      targets = set == null ? List.of() : set;
    } else {
      targets = members.values();
    }
    int ok = 0;
    int failed = 0;
    for (WsSession<O> session : targets) {
      if (session.id().equals(excludeConnId)) {
        continue;
      }
      if (session.sendMessage(frame)) {
        ok++;
      } else {
        failed++;
      }
    }
    delivered.add(ok);
    refused.add(failed);
  }

  /** Closes every member with {@code status} (e.g. 1001 on shutdown). */
  public void closeAll(CloseStatus status) {
    for (WsSession<O> session : members.values()) {
      session.close(status);
    }
  }

  /** The member with id {@code connId}, or null. */
  public @Nullable WsSession<O> get(String connId) {
    return members.get(connId);
  }

  /** The members now registered (a snapshot). */
  public List<WsSession<O>> members() {
    return new ArrayList<>(members.values());
  }

  /** The members of {@code room} (a snapshot). */
  public List<WsSession<O>> members(String room) {
    Set<WsSession<O>> set = rooms.get(room);
    return set == null ? List.of() : new ArrayList<>(set);
  }

  /** Names of the rooms with at least one member (a snapshot). */
  public Set<String> rooms() {
    return Set.copyOf(rooms.keySet());
  }

  /** Number of members. */
  public int size() {
    return members.size();
  }

  public HubStats stats() {
    return new HubStats(
        members.size(), maxConnections, rooms.size(), delivered.sum(), refused.sum());
  }

  private int deliver(
      Collection<WsSession<O>> targets,
      O message,
      @Nullable String excludeConnId,
      @Nullable Predicate<? super WsSession<O>> filter) {
    // Encode once per codec; nearly always one codec serves every member.
    Codec<?, O> lastCodec = null;
    Message lastFrame = null;
    Map<Codec<?, O>, Message> others = null;
    int ok = 0;
    int failed = 0;
    for (WsSession<O> session : targets) {
      if ((excludeConnId != null && session.id().equals(excludeConnId))
          || (filter != null && !filter.test(session))) {
        continue;
      }
      Codec<?, O> codec = session.codec();
      Message frame;
      if (codec == lastCodec && lastFrame != null) {
        frame = lastFrame;
      } else {
        if (lastCodec != null && lastFrame != null) {
          if (others == null) {
            others = new IdentityHashMap<>();
          }
          others.put(lastCodec, lastFrame);
        }
        frame = others == null ? null : others.get(codec);
        if (frame == null) {
          frame = codec.encode(message);
        }
        lastCodec = codec;
        lastFrame = frame;
      }
      if (session.sendMessage(frame)) {
        ok++;
      } else {
        failed++;
      }
    }
    delivered.add(ok);
    refused.add(failed);
    return ok;
  }
}
