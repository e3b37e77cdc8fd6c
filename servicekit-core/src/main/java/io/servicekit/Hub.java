package io.servicekit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

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
  private final ConcurrentHashMap<String, BaseConn<?, O>> members = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Set<BaseConn<?, O>>> rooms = new ConcurrentHashMap<>();
  private final AtomicInteger count = new AtomicInteger();
  private final LongAdder delivered = new LongAdder();
  private final LongAdder refused = new LongAdder();

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
   * Adds a started connection (call it from {@code onStart}). Returns {@code false} if the hub is
   * full, the connection is not open, or one with the same id is already registered.
   */
  public boolean register(BaseConn<?, O> conn) {
    Objects.requireNonNull(conn, "conn");
    if (!conn.isOpen()) {
      return false;
    }
    if (count.incrementAndGet() > maxConnections) {
      count.decrementAndGet();
      return false;
    }
    if (members.putIfAbsent(conn.connId(), conn) != null) {
      count.decrementAndGet();
      return false;
    }
    conn.whenClosed(status -> unregister(conn));
    return true;
  }

  /** Removes {@code conn} from the hub and its rooms; {@code false} if it was not a member. */
  public boolean unregister(BaseConn<?, O> conn) {
    if (!members.remove(conn.connId(), conn)) {
      return false;
    }
    count.decrementAndGet();
    for (String room : rooms.keySet()) {
      leave(conn, room);
    }
    return true;
  }

  /** Adds a registered member to {@code room}; {@code false} if it is not a member. */
  public boolean join(BaseConn<?, O> conn, String room) {
    Objects.requireNonNull(room, "room");
    if (members.get(conn.connId()) != conn) {
      return false;
    }
    rooms.computeIfAbsent(room, r -> ConcurrentHashMap.newKeySet()).add(conn);
    if (members.get(conn.connId()) != conn) {
      leave(conn, room); // unregistered meanwhile
      return false;
    }
    return true;
  }

  /** Removes {@code conn} from {@code room}; an emptied room disappears. */
  public boolean leave(BaseConn<?, O> conn, String room) {
    boolean[] removed = new boolean[1];
    rooms.computeIfPresent(
        room,
        (r, set) -> {
          removed[0] = set.remove(conn);
          return set.isEmpty() ? null : set;
        });
    return removed[0];
  }

  /** Sends {@code message} to every member; returns how many queued it. */
  public int broadcast(O message) {
    return deliver(members.values(), message, null, null);
  }

  /** Sends to every member except the one with id {@code excludeConnId} (may be null). */
  public int broadcast(O message, String excludeConnId) {
    return deliver(members.values(), message, excludeConnId, null);
  }

  /** Sends to the members of {@code room}. */
  public int broadcastToRoom(String room, O message) {
    return broadcastToRoom(room, message, null);
  }

  /** Sends to the members of {@code room} except {@code excludeConnId} (may be null). */
  public int broadcastToRoom(String room, O message, String excludeConnId) {
    Set<BaseConn<?, O>> set = rooms.get(room);
    return set == null ? 0 : deliver(set, message, excludeConnId, null);
  }

  /** Sends to the members for which {@code filter} is true. */
  public int broadcastIf(Predicate<? super BaseConn<?, O>> filter, O message) {
    return deliver(members.values(), message, null, filter);
  }

  /** Sends to the member with id {@code connId}; {@code false} if absent or refused. */
  public boolean send(String connId, O message) {
    BaseConn<?, O> conn = members.get(connId);
    return conn != null && deliver(List.of(conn), message, null, null) == 1;
  }

  /** Closes every member with {@code status} (e.g. 1001 on shutdown). */
  public void closeAll(CloseStatus status) {
    for (BaseConn<?, O> conn : members.values()) {
      conn.session().ifPresent(s -> s.close(status));
    }
  }

  /** The member with id {@code connId}, or null. */
  public BaseConn<?, O> get(String connId) {
    return members.get(connId);
  }

  /** The members now registered (a snapshot). */
  public List<BaseConn<?, O>> members() {
    return new ArrayList<>(members.values());
  }

  /** The members of {@code room} (a snapshot). */
  public List<BaseConn<?, O>> members(String room) {
    Set<BaseConn<?, O>> set = rooms.get(room);
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
      Collection<BaseConn<?, O>> targets,
      O message,
      String excludeConnId,
      Predicate<? super BaseConn<?, O>> filter) {
    // Encode once per codec; nearly always one codec serves every member.
    Codec<?, O> lastCodec = null;
    Frame lastFrame = null;
    Map<Codec<?, O>, Frame> others = null;
    int ok = 0;
    int failed = 0;
    for (BaseConn<?, O> conn : targets) {
      if (conn.connId().equals(excludeConnId) || (filter != null && !filter.test(conn))) {
        continue;
      }
      Codec<?, O> codec = conn.codec();
      Frame frame;
      if (codec == lastCodec) {
        frame = lastFrame;
      } else {
        if (lastCodec != null) {
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
      if (conn.sendFrame(frame)) {
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
