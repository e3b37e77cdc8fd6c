package io.servicekit.redis;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.servicekit.Scheduler;
import io.servicekit.broker.Broker;
import io.servicekit.broker.BrokerGap;
import io.servicekit.broker.BrokerUnavailableException;
import io.servicekit.broker.MemoryBroker;
import io.servicekit.internal.Check;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Broker} on Redis pub/sub (Lettuce): {@code PUBLISH}, {@code SUBSCRIBE} and {@code
 * PSUBSCRIBE} on two connections, one for publishing and one for subscriptions.
 *
 * <h2>Failure behaviour</h2>
 *
 * <ul>
 *   <li><b>Redis unreachable at start</b>: {@link Builder#connect()} throws {@link
 *       RedisUnavailableException} naming the URI and the cause; {@link Builder#connectOrLocal()}
 *       logs a warning and returns an in-memory broker instead (this node then shares nothing with
 *       the others until restarted).
 *   <li><b>Redis goes away mid-run</b>: publishing fails at once (nothing is queued): the stage
 *       {@link #publish} returns fails with {@link BrokerUnavailableException}, {@link
 *       #available()} is false, each failure is counted ({@link #publishFailures()}) and the first
 *       of an outage logged. Clustered hubs then refuse messages before delivering them anywhere.
 *       Lettuce reconnects every {@link Builder#reconnectDelay} and this broker re-issues every
 *       subscription on reconnect. Messages other nodes published meanwhile are lost for this node
 *       (pub/sub is at most once); on reconnect one line is logged with the outage's length and the
 *       number of this node's publishes that failed ({@link #disconnects()}, {@link
 *       #reconnects()}), and every {@link #onGap} listener is told, once the subscriptions are
 *       active again, so hubs can tell their members to resync.
 *   <li><b>Redis stalls</b> (paused, overloaded): a publish not answered within the command timeout
 *       (default 5 s) fails its stage as <em>not confirmed</em> — Redis may still run it when it
 *       resumes — and from then on publishes are refused at once until a {@code PING} is answered.
 *       No caller's thread waits on Redis.
 *   <li><b>Oversized payloads</b>: {@link #publish} throws {@link
 *       io.servicekit.broker.PayloadTooLargeException} above {@link #maxPayloadBytes()} (default 1
 *       MiB).
 *   <li><b>Slow subscriber</b>: listeners run on Lettuce's I/O thread and only queue (hubs never
 *       block), so this node reads as fast as Redis sends; a node that still falls behind is
 *       disconnected by Redis's {@code client-output-buffer-limit pubsub} and then reconnects as
 *       above.
 * </ul>
 */
public final class RedisBroker implements Broker {
  private static final Logger LOG = LoggerFactory.getLogger(RedisBroker.class);

  private final String uri;
  private final int maxPayloadBytes;
  private final Scheduler scheduler;
  private final RedisClient client;
  private final StatefulRedisConnection<byte[], byte[]> pub;
  private final StatefulRedisPubSubConnection<byte[], byte[]> sub;
  private final Map<String, CopyOnWriteArrayList<Listener>> topics = new ConcurrentHashMap<>();
  private final Map<String, CopyOnWriteArrayList<Listener>> patterns = new ConcurrentHashMap<>();
  private final AtomicLong publishFailures = new AtomicLong();
  private final AtomicLong disconnects = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();
  private volatile long failuresAtDisconnect;
  private volatile long disconnectedAtNanos;
  private volatile boolean down;
  private volatile boolean stalled; // a command timed out; cleared by a PING's answer
  private final AtomicBoolean probing = new AtomicBoolean();
  private final CopyOnWriteArrayList<GapListener> gapListeners = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private RedisBroker(Builder b, RedisURI redisUri) {
    this.uri = b.uri;
    this.maxPayloadBytes = b.maxPayloadBytes;
    this.scheduler = b.scheduler;
    this.client = RedisSupport.client(redisUri, b.connectTimeout, b.reconnectDelay);
    try {
      this.pub = client.connect(ByteArrayCodec.INSTANCE);
      this.sub = client.connectPubSub(ByteArrayCodec.INSTANCE);
    } catch (RuntimeException e) {
      RedisSupport.shutdown(client);
      throw new RedisUnavailableException(uri, e);
    }
    sub.addListener(
        new RedisPubSubAdapter<>() {
          @Override
          public void message(byte[] channel, byte[] message) {
            dispatch(topics.get(str(channel)), str(channel), message);
          }

          @Override
          public void message(byte[] pattern, byte[] channel, byte[] message) {
            dispatch(patterns.get(str(pattern)), str(channel), message);
          }
        });
    pub.addListener(
        new RedisConnectionStateListener() {
          @Override
          public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress addr) {
            stalled = false; // a new connection: whatever stalled the old one is gone
          }
        });
    sub.addListener(
        new RedisConnectionStateListener() {
          @Override
          public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            onDisconnected();
          }

          @Override
          public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress addr) {
            onReconnected();
          }
        });
  }

  /** A builder for a broker on {@code uri} ({@code redis://host:port}). */
  public static Builder builder(String uri) {
    return new Builder(uri);
  }

  /**
   * Connects to {@code uri} with the defaults.
   *
   * @throws RedisUnavailableException if Redis cannot be reached
   * @throws IllegalArgumentException if the URI is malformed
   */
  public static RedisBroker connect(String uri) {
    return builder(uri).connect();
  }

  @Override
  public CompletionStage<Void> publish(String topic, byte[] payload) {
    Broker.checkTopic("topic", topic);
    Objects.requireNonNull(payload, "payload");
    Broker.checkSize(topic, payload.length, maxPayloadBytes);
    if (closed) {
      throw new IllegalStateException("broker is closed");
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (stalled) {
      publishFailures.incrementAndGet();
      done.completeExceptionally(
          new BrokerUnavailableException(
              "Redis " + uri + " is not answering (a command timed out); not published",
              false,
              null));
      probe();
      return done;
    }
    try {
      pub.async()
          .publish(bytes(topic), payload)
          .whenComplete(
              (n, e) -> {
                if (e == null) {
                  done.complete(null);
                } else {
                  done.completeExceptionally(failed(topic, e));
                }
              });
    } catch (RuntimeException e) {
      done.completeExceptionally(failed(topic, e));
    }
    return done;
  }

  private BrokerUnavailableException failed(String topic, Throwable e) {
    long n = publishFailures.incrementAndGet();
    boolean timeout = RedisSupport.isTimeout(e);
    if (timeout) {
      // Redis may still run it when it resumes: the outcome is unknown, not failed.
      stalled = true;
      probe();
    }
    String what =
        timeout
            ? "not confirmed within the command timeout (Redis may still deliver it when it"
                + " resumes)"
            : "failed, other nodes miss it";
    if (n == failuresAtDisconnect + 1 || !down) {
      LOG.warn(
          "Redis {}: publish to {} {} (local delivery is unaffected): {}",
          uri,
          topic,
          what,
          e.toString());
    }
    return new BrokerUnavailableException(
        "Redis " + uri + ": publish to " + topic + " " + what + ": " + e, false, e);
  }

  /** While stalled: one PING at a time; its answer means Redis is back. */
  private void probe() {
    if (closed || !probing.compareAndSet(false, true)) {
      return;
    }
    try {
      pub.async()
          .ping()
          .whenComplete(
              (pong, e) -> {
                probing.set(false);
                if (e == null) {
                  if (stalled) {
                    stalled = false;
                    LOG.warn("Redis {}: answering again; publishing resumes", uri);
                  }
                } else if (stalled && !closed && RedisSupport.isTimeout(e)) {
                  probe(); // still frozen: ask again (each try waits the command timeout)
                }
                // Other failures (disconnected): the next publish or available() asks again.
              });
    } catch (RuntimeException e) {
      probing.set(false);
    }
  }

  @Override
  public boolean available() {
    if (stalled) {
      probe(); // so that asking is enough to notice Redis is back
      return false;
    }
    return !closed && pub.isOpen();
  }

  @Override
  public Subscription onGap(GapListener listener) {
    Objects.requireNonNull(listener, "listener");
    gapListeners.add(listener);
    return () -> gapListeners.remove(listener);
  }

  @Override
  public Subscription subscribe(String topic, Listener listener) {
    Broker.checkTopic("topic", topic);
    return add(topics, topic, false, Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public Subscription subscribePattern(String pattern, Listener listener) {
    MemoryBroker.globToRegex(pattern); // validates: only '*'
    return add(patterns, pattern, true, Objects.requireNonNull(listener, "listener"));
  }

  private Subscription add(
      Map<String, CopyOnWriteArrayList<Listener>> map,
      String name,
      boolean pattern,
      Listener listener) {
    if (closed) {
      throw new IllegalStateException("broker is closed");
    }
    boolean[] first = new boolean[1];
    map.compute(
        name,
        (k, list) -> {
          if (list == null) {
            list = new CopyOnWriteArrayList<>();
            first[0] = true;
          }
          list.add(listener);
          return list;
        });
    if (first[0]) {
      issue(name, pattern);
    }
    return () -> {
      boolean[] last = new boolean[1];
      map.computeIfPresent(
          name,
          (k, list) -> {
            list.remove(listener);
            last[0] = list.isEmpty();
            return list.isEmpty() ? null : list;
          });
      if (last[0] && !closed) {
        try {
          if (pattern) {
            sub.async().punsubscribe(bytes(name));
          } else {
            sub.async().unsubscribe(bytes(name));
          }
        } catch (RuntimeException e) {
          LOG.debug("unsubscribe {} failed: {}", name, e.toString());
        }
      }
    };
  }

  /** Sends SUBSCRIBE/PSUBSCRIBE; waits for it while connected so messages published next arrive. */
  private void issue(String name, boolean pattern) {
    try {
      var future =
          pattern ? sub.async().psubscribe(bytes(name)) : sub.async().subscribe(bytes(name));
      future.toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // Disconnected: re-issued on reconnect (onReconnected).
      LOG.warn(
          "Redis {}: subscribing to {} failed, will retry on reconnect: {}",
          uri,
          name,
          e.toString());
    }
  }

  private void onDisconnected() {
    if (closed || down) {
      return;
    }
    down = true;
    disconnects.incrementAndGet();
    failuresAtDisconnect = publishFailures.get();
    disconnectedAtNanos = scheduler.nanoTime();
    LOG.warn("Redis {}: subscription connection lost; delivering locally only, reconnecting", uri);
  }

  private void onReconnected() {
    if (closed || !down) {
      return;
    }
    down = false;
    reconnects.incrementAndGet();
    Duration outage = Duration.ofNanos(scheduler.nanoTime() - disconnectedAtNanos);
    // Lettuce re-subscribes by itself; re-issuing is harmless and covers subscriptions made while
    // disconnected. Run off the I/O thread, since issue() waits.
    scheduler.execute(
        "servicekit-redis-resubscribe",
        () -> {
          topics.keySet().forEach(t -> issue(t, false));
          patterns.keySet().forEach(p -> issue(p, true));
          BrokerGap gap =
              new BrokerGap(
                  "Redis subscription connection lost for " + outage.toMillis() + " ms", outage);
          for (GapListener l : gapListeners) {
            try {
              l.onGap(gap);
            } catch (RuntimeException e) {
              LOG.warn("broker gap listener failed", e);
            }
          }
        });
    LOG.warn(
        "Redis {}: reconnected after {} ms; {} publishes from this node failed meanwhile, and"
            + " messages other nodes published meanwhile were not received (at-most-once)",
        uri,
        outage.toMillis(),
        publishFailures.get() - failuresAtDisconnect);
  }

  private void dispatch(
      @Nullable CopyOnWriteArrayList<Listener> listeners, String channel, byte[] msg) {
    if (listeners == null) {
      return;
    }
    for (Listener l : listeners) {
      try {
        l.onMessage(channel, msg);
      } catch (RuntimeException e) {
        LOG.warn("broker listener failed for topic {}", channel, e);
      }
    }
  }

  /** Publishes that failed (Redis unreachable or an error); other nodes missed those messages. */
  public long publishFailures() {
    return publishFailures.get();
  }

  /** How many times the subscription connection was lost. */
  public long disconnects() {
    return disconnects.get();
  }

  /** How many times it came back (subscriptions re-issued). */
  public long reconnects() {
    return reconnects.get();
  }

  /** Whether the subscription connection is up. */
  public boolean isConnected() {
    return sub.isOpen() && !down;
  }

  @Override
  public int maxPayloadBytes() {
    return maxPayloadBytes;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    topics.clear();
    gapListeners.clear();
    patterns.clear();
    try {
      sub.close();
      pub.close();
    } finally {
      RedisSupport.shutdown(client);
    }
  }

  @Override
  public String toString() {
    return "RedisBroker[" + uri + "]";
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String str(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /** Configures and connects a {@link RedisBroker}. */
  public static final class Builder {
    private final String uri;
    private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;
    private Duration connectTimeout = Duration.ofSeconds(2);
    private Duration commandTimeout = Duration.ofSeconds(5);
    private Duration reconnectDelay = Duration.ofSeconds(1);
    private Scheduler scheduler = Scheduler.system();

    private Builder(String uri) {
      this.uri = uri;
    }

    /** Largest payload accepted by {@link #publish}; default 1 MiB. */
    public Builder maxPayloadBytes(int v) {
      maxPayloadBytes = Check.positive("maxPayloadBytes", v);
      return this;
    }

    /** How long connecting may take; default 2 s. */
    public Builder connectTimeout(Duration v) {
      Check.positive("connectTimeout", v);
      connectTimeout = v;
      return this;
    }

    /** How long a command may take; default 5 s. */
    public Builder commandTimeout(Duration v) {
      Check.positive("commandTimeout", v);
      commandTimeout = v;
      return this;
    }

    /** Pause between reconnection attempts; default 1 s. */
    public Builder reconnectDelay(Duration v) {
      Check.positive("reconnectDelay", v);
      reconnectDelay = v;
      return this;
    }

    /**
     * The clock that measures an outage and the threads that re-subscribe after one; default {@link
     * Scheduler#system()}.
     */
    public Builder scheduler(Scheduler v) {
      scheduler = Objects.requireNonNull(v, "scheduler");
      return this;
    }

    /**
     * Connects.
     *
     * @throws RedisUnavailableException if Redis cannot be reached
     * @throws IllegalArgumentException if the URI is malformed
     */
    public RedisBroker connect() {
      RedisURI parsed = RedisSupport.uri(uri, commandTimeout);
      return new RedisBroker(this, parsed);
    }

    /**
     * Connects, or — if Redis cannot be reached — logs a warning and returns an in-memory broker
     * with the same payload limit, so the node runs on its own.
     *
     * @throws IllegalArgumentException if the URI is malformed (a configuration error is never
     *     degraded)
     */
    public Broker connectOrLocal() {
      try {
        return connect();
      } catch (RedisUnavailableException e) {
        LOG.warn(
            "{}; running on the in-memory broker, sharing nothing with other nodes",
            e.getMessage());
        return new MemoryBroker(maxPayloadBytes);
      }
    }
  }
}
