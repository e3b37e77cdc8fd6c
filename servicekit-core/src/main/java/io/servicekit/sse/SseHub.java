package io.servicekit.sse;

import io.servicekit.Codec;
import io.servicekit.broker.Broker;
import io.servicekit.internal.driver.SseMember;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A thread-safe registry of SSE sessions for targeted sends and broadcasts (the Go library's {@code
 * SSEHub}, without its blocking broadcast).
 *
 * <ul>
 *   <li>{@link #register} (call it from {@link SseListener#onOpen}) ties membership to the stream's
 *       lifecycle: a session leaves the hub by itself when its stream ends. Members are keyed by
 *       their session id, or by a key of the application's ({@link #register(String, SseSession)}).
 *   <li>Sends and broadcasts never block and hold no lock while queueing: each connection has its
 *       own bounded queue, so a stalled client cannot delay the others; its own slow-consumer
 *       policy deals with it.
 *   <li>A message is encoded and framed once per codec, not once per connection.
 *   <li>Registrations and closes may happen during a broadcast: a connection that joins during one
 *       may or may not receive it, one that has closed never does.
 *   <li>With {@link ResumableStreams}, sending to a connection publishes to its stream (stored, id
 *       assigned) and a broadcast publishes once per distinct stream among the members.
 * </ul>
 *
 * @param <O> the outgoing message type of the members
 */
public final class SseHub<O> {
  private final ConcurrentHashMap<String, SseSession<O>> members = new ConcurrentHashMap<>();
  private volatile @Nullable SseHubRelay<O> relay; // set by cluster(...), null on one node

  /** An empty hub. */
  public SseHub() {}

  /**
   * Spans this hub across nodes through {@code broker}: every node runs the same hub with the same
   * {@code topic}. Broadcasts are delivered locally first, then published (encoded once by {@code
   * codec}, with this hub's node id) to {@code <topic>.all}; other nodes deliver them to their
   * members that are <em>not</em> on a resumable endpoint, and drop their own echo. A targeted send
   * to a connection that is not local is published to {@code <topic>.send} and delivered by the
   * node that has it (returning {@code true}: handed to the broker).
   *
   * <p>Members of resumable endpoints receive events through their stream: publish with {@link
   * ResumableStreams#publish} and give the {@link ResumableStreams} the same broker ({@link
   * ResumableStreams.Builder#broker}), so a stream's events reach its connections on every node and
   * are stored once.
   *
   * @return closing it detaches the hub from the broker
   * @throws IllegalStateException if the hub is already clustered
   * @throws io.servicekit.broker.PayloadTooLargeException (from broadcasts) when an event exceeds
   *     the broker's limit; nothing is delivered then
   */
  public Broker.Subscription cluster(Broker broker, String topic, Codec<?, O> codec) {
    synchronized (this) {
      if (relay != null) {
        throw new IllegalStateException("SSE hub is already clustered on topic " + topic);
      }
      relay = new SseHubRelay<>(this, broker, topic, codec);
      return relay;
    }
  }

  /** This hub's node id on its broker, or null if it is not clustered. */
  public @Nullable String nodeId() {
    SseHubRelay<O> r = relay;
    return r == null ? null : r.nodeId();
  }

  synchronized void detach(SseHubRelay<O> r) {
    if (relay == r) {
      relay = null;
    }
  }

  /** Delivers an event from another node to one local member, or to all non-resumable ones. */
  void deliverRemote(@Nullable String key, SseEvent e) {
    if (key != null) {
      SseSession<O> s = members.get(key);
      if (s != null) {
        s.send(e);
      }
      return;
    }
    for (SseSession<O> s : members.values()) {
      if (driver(s).streamKey() == null) {
        s.send(e);
      }
    }
  }

  /** The driver behind a session: the one implementation {@link SseSession} permits. */
  @SuppressWarnings("unchecked")
  private static <O> SseMember<O> driver(SseSession<O> session) {
    return (SseMember<O>) session;
  }

  /**
   * Adds an open session under its {@link SseSession#id() id}; see {@link #register(String,
   * SseSession)}.
   */
  public boolean register(SseSession<O> session) {
    Objects.requireNonNull(session, "session");
    return register(session.id(), session);
  }

  /**
   * Adds an open session under {@code key} (e.g. a user id, for {@link #send(String, Object)}).
   * Call it from {@link SseListener#onOpen}: the session leaves the hub by itself when its stream
   * ends. Returns {@code false} if the session is not open (already closed) or another one is
   * registered under {@code key}.
   */
  public boolean register(String key, SseSession<O> session) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(session, "session");
    if (!session.isOpen()) {
      return false;
    }
    if (members.putIfAbsent(key, session) != null) {
      return false;
    }
    session.whenClosed(end -> members.remove(key, session)); // before closeFuture() completes
    if (!session.isOpen()) {
      members.remove(key, session); // closed meanwhile
      return false;
    }
    return true;
  }

  /** Removes the session registered under {@code key}; unknown keys are ignored. */
  public boolean unregister(String key) {
    return members.remove(key) != null;
  }

  /** Removes {@code session}, under whatever key; {@code false} if it was not registered. */
  public boolean unregister(SseSession<O> session) {
    return members.values().removeIf(s -> s == session);
  }

  /** Sends {@code message} as a plain data event to {@code key}; false if unknown or refused. */
  public boolean send(String key, O message) {
    return sendEventWithId(key, null, null, message);
  }

  /** Sends {@code message} as event {@code event} to {@code key}. */
  public boolean sendEvent(String key, @Nullable String event, O message) {
    return sendEventWithId(key, event, null, message);
  }

  /** Sends {@code message} as event {@code event} with id {@code id} to {@code key}. */
  public boolean sendEventWithId(
      String key, @Nullable String event, @Nullable String id, O message) {
    SseSession<O> s = members.get(key);
    if (s == null) {
      SseHubRelay<O> r = relay;
      if (r == null) {
        return false;
      }
      byte[] bytes = r.serialize(SseHubRelay.SEND, key, event, id, message);
      r.checkAvailable();
      r.publish(SseHubRelay.SEND, bytes);
      return true;
    }
    return s.sendEventWithId(event, id, message);
  }

  /** Sends {@code message} as a plain data event to every member; returns how many took it. */
  public int broadcast(O message) {
    return deliver(members.values(), null, null, message);
  }

  /** Sends {@code message} as event {@code event} to every member. */
  public int broadcastEvent(@Nullable String event, O message) {
    return deliver(members.values(), event, null, message);
  }

  /**
   * Sends {@code message} as event {@code event} with id {@code id} to every member (each gets the
   * same id, as in the Go library). Without resumption ids are the application's business.
   */
  public int broadcastEventWithId(@Nullable String event, @Nullable String id, O message) {
    return deliver(members.values(), event, id, message);
  }

  /** Number of members. */
  public int count() {
    return members.size();
  }

  /** The member registered under {@code key}, or null. */
  public @Nullable SseSession<O> get(String key) {
    return members.get(key);
  }

  /** The members now registered (a snapshot). */
  public List<SseSession<O>> members() {
    return new ArrayList<>(members.values());
  }

  /**
   * Ends every member's stream gracefully (what is queued is written first) and empties the hub.
   * Each connection's {@code onClose} runs once, on its own thread. The hub stays usable.
   */
  public void closeAll() {
    closeMembers(null);
  }

  /**
   * Sends a final event named {@code event} with {@code message} to every member — directly, never
   * stored for replay — then ends their streams and empties the hub.
   */
  public void closeAll(@Nullable String event, O message) {
    Map<Codec<?, O>, SseEvent> framed = new IdentityHashMap<>();
    closeMembers(
        codec -> framed.computeIfAbsent(codec, c -> SseEvent.encode(c, event, null, message)));
  }

  /** Empties the hub and ends each stream, after the event {@code last} frames for its codec. */
  private void closeMembers(@Nullable Function<Codec<?, O>, SseEvent> last) {
    for (Map.Entry<String, SseSession<O>> m : members.entrySet()) {
      SseSession<O> s = m.getValue();
      members.remove(m.getKey(), s);
      if (last != null) {
        s.sendDirect(last.apply(driver(s).codec()));
      }
      s.close();
    }
  }

  private int deliver(
      Collection<SseSession<O>> targets, @Nullable String event, @Nullable String id, O message) {
    SseHubRelay<O> r = relay;
    if (r == null) {
      return deliverLocal(targets, event, id, message);
    }
    byte[] bytes = r.serialize(SseHubRelay.ALL, null, event, id, message);
    r.checkAvailable();
    int n = deliverLocal(targets, event, id, message);
    r.publish(SseHubRelay.ALL, bytes);
    return n;
  }

  private int deliverLocal(
      Collection<SseSession<O>> targets, @Nullable String event, @Nullable String id, O message) {
    // Encode once per codec; nearly always one codec serves every member.
    Codec<?, O> lastCodec = null;
    SseEvent lastEvent = null;
    Map<Codec<?, O>, SseEvent> others = null;
    Map<Object, Boolean> published = null; // stream key -> whether its one publish was taken
    int ok = 0;
    for (SseSession<O> s : targets) {
      SseMember<O> driver = driver(s);
      Codec<?, O> codec = driver.codec();
      SseEvent e;
      if (codec == lastCodec && lastEvent != null) {
        e = lastEvent;
      } else {
        if (lastCodec != null && lastEvent != null) {
          if (others == null) {
            others = new IdentityHashMap<>();
          }
          others.put(lastCodec, lastEvent);
        }
        e = others == null ? null : others.get(codec);
        if (e == null) {
          e = SseEvent.encode(codec, event, id, message);
        }
        lastCodec = codec;
        lastEvent = e;
      }
      Object key = driver.streamKey();
      if (key == null) {
        if (s.send(e)) {
          ok++;
        }
        continue;
      }
      // Resumable: one publish per stream reaches all of its live connections.
      if (published == null) {
        published = new HashMap<>();
      }
      Boolean sent = published.get(key);
      if (sent == null) {
        sent = s.send(e);
        published.put(key, sent);
      }
      if (sent) {
        ok++;
      }
    }
    return ok;
  }

  @Override
  public String toString() {
    return "SseHub[" + members.size() + " connections]";
  }
}
