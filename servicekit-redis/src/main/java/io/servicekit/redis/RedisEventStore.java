package io.servicekit.redis;

import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.servicekit.broker.BrokerUnavailableException;
import io.servicekit.internal.Check;
import io.servicekit.sse.EpochIdGen;
import io.servicekit.sse.EventStore;
import io.servicekit.sse.IdGen;
import io.servicekit.sse.StoredEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link EventStore} on Redis Streams, shared by every node: one Redis stream per SSE stream
 * (key {@code <prefix><streamId>}), each event an entry with fields {@code id}, {@code event} (if
 * named) and {@code data}, trimmed to the newest {@code maxLen} entries with {@code XADD MAXLEN}. A
 * client can therefore reconnect to any node and resume from its {@code Last-Event-ID}.
 *
 * <p>Use it with a broker ({@link io.servicekit.sse.ResumableStreams.Builder#broker}) so live
 * events reach every node, and with ids that carry an epoch (the default {@link EpochIdGen}), so an
 * id from before a Redis restart or flush is never mistaken for a newer one.
 *
 * <p>Every command is asynchronous, with the command timeout (5 s): nothing waits on Redis but the
 * synchronous {@link #eventsAfter} and {@link #events}, which {@code ResumableStreams} never calls.
 * Commands on one connection complete in call order, so a read sees every append made before it.
 * When Redis is unreachable or does not answer, {@link #append} and the reads fail their stage with
 * {@link BrokerUnavailableException} (counted: {@link #storeFailures()}, {@link #readFailures()}),
 * and {@link #available()} is false until Redis answers again; a read failure is never reported as
 * an unknown id. After an event of a stream could not be stored, the stream's next append first
 * writes a hole marker: a client resuming from an id before the hole gets a {@code resync}, never a
 * replay that silently skips the lost event.
 */
public final class RedisEventStore implements EventStore, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RedisEventStore.class);

  /** Default number of events kept per stream, as {@link io.servicekit.sse.MemoryEventStore}. */
  public static final int DEFAULT_MAX_LEN = 1000;

  /** Default start of every key of a store. */
  public static final String DEFAULT_PREFIX = "servicekit:sse:";

  private final String uri;
  private final String prefix;
  private final int maxLen;
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> conn;
  private final AtomicLong storeFailures = new AtomicLong();
  private final AtomicLong readFailures = new AtomicLong();
  private final AtomicBoolean probing = new AtomicBoolean();
  // Streams with an event that could not be stored: the next append first writes a hole marker.
  private final java.util.Set<String> holes = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private static final String HOLE_FIELD = "servicekit-hole";
  private static final Map<String, String> HOLE = Map.of(HOLE_FIELD, "1");
  private volatile boolean stalled; // a command timed out; cleared by a PING's answer

  private RedisEventStore(Builder b) {
    this.uri = b.uri;
    this.prefix = b.prefix;
    this.maxLen = b.maxLen;
    this.client =
        RedisSupport.client(
            RedisSupport.uri(uri, b.commandTimeout), b.connectTimeout, b.reconnectDelay);
    try {
      this.conn = client.connect();
    } catch (RuntimeException e) {
      RedisSupport.shutdown(client);
      throw new RedisUnavailableException(uri, e);
    }
    conn.addListener(
        new io.lettuce.core.RedisConnectionStateListener() {
          @Override
          public void onRedisConnected(
              io.lettuce.core.RedisChannelHandler<?, ?> connection,
              java.net.SocketAddress address) {
            stalled = false;
          }
        });
  }

  /**
   * A builder for a store on {@code uri} ({@code redis://host:port}): {@code
   * RedisEventStore.builder(uri).prefix("myapp:sse:").maxLen(1000).connect()}.
   *
   * @throws IllegalArgumentException if {@code uri} is malformed
   */
  public static Builder builder(String uri) {
    return new Builder(uri);
  }

  /**
   * Configures and connects a {@link RedisEventStore}. Each setter refuses a bad value at once,
   * naming the setting and the value.
   */
  public static final class Builder {
    private final String uri;
    private String prefix = DEFAULT_PREFIX;
    private int maxLen = DEFAULT_MAX_LEN;
    private Duration connectTimeout = Duration.ofSeconds(2);
    private Duration commandTimeout = Duration.ofSeconds(5);
    private Duration reconnectDelay = Duration.ofSeconds(1);

    private Builder(String uri) {
      RedisSupport.uri(uri, commandTimeout); // a malformed URI fails here, not at connect
      this.uri = uri;
    }

    /**
     * The start of every key of this store (e.g. {@code "myapp:sse:"}, so that applications sharing
     * a Redis do not share streams); default {@value #DEFAULT_PREFIX}.
     */
    public Builder prefix(String v) {
      prefix = Check.notBlank("prefix", v);
      return this;
    }

    /** Events kept per stream ({@code XADD MAXLEN}); default {@value #DEFAULT_MAX_LEN}. */
    public Builder maxLen(int v) {
      maxLen = Check.positive("maxLen", v);
      return this;
    }

    /** How long connecting may take; default 2 s. */
    public Builder connectTimeout(Duration v) {
      connectTimeout = Check.positive("connectTimeout", v);
      return this;
    }

    /** How long a command may wait for Redis's answer before it fails; default 5 s. */
    public Builder commandTimeout(Duration v) {
      commandTimeout = Check.positive("commandTimeout", v);
      return this;
    }

    /** Pause between reconnection attempts; default 1 s. */
    public Builder reconnectDelay(Duration v) {
      reconnectDelay = Check.positive("reconnectDelay", v);
      return this;
    }

    /**
     * Connects.
     *
     * @throws RedisUnavailableException if Redis cannot be reached
     */
    public RedisEventStore connect() {
      return new RedisEventStore(this);
    }
  }

  @Override
  public void store(String streamId, StoredEvent event) {
    append(streamId, event); // never waits: failures are counted and logged by append
  }

  @Override
  public CompletionStage<Void> append(String streamId, StoredEvent event) {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("id", event.id());
    if (event.event() != null) {
      body.put("event", event.event());
    }
    body.put("data", event.data());
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (stalled) {
      probe();
      done.completeExceptionally(
          storeFailed(event, streamId, new IllegalStateException("Redis is not answering")));
      return done;
    }
    try {
      if (holes.remove(streamId)) {
        // An earlier event of this stream could not be stored: mark the hole first, on the same
        // ordered connection, so that no replay runs across it.
        conn.async()
            .xadd(key(streamId), new XAddArgs().maxlen(maxLen).exactTrimming(), HOLE)
            .whenComplete(
                (entryId, e) -> {
                  if (e != null) {
                    holes.add(streamId);
                  }
                });
      }
      conn.async()
          .xadd(key(streamId), new XAddArgs().maxlen(maxLen).exactTrimming(), body)
          .whenComplete(
              (entryId, e) -> {
                if (e == null) {
                  done.complete(null);
                } else {
                  done.completeExceptionally(storeFailed(event, streamId, e));
                }
              });
    } catch (RuntimeException e) {
      done.completeExceptionally(storeFailed(event, streamId, e));
    }
    return done;
  }

  private BrokerUnavailableException storeFailed(StoredEvent event, String streamId, Throwable e) {
    long n = storeFailures.incrementAndGet();
    holes.add(streamId);
    noteTimeout(e);
    String what =
        RedisSupport.isTimeout(e)
            ? "not confirmed within the command timeout (Redis may still store it when it"
                + " resumes)"
            : "could not be stored";
    LOG.warn(
        "Redis {}: event {} of stream {} {} ({} so far); it cannot be replayed: {}",
        uri,
        event.id(),
        streamId,
        what,
        n,
        e.toString());
    return new BrokerUnavailableException(
        "Redis " + uri + ": event " + event.id() + " of stream " + streamId + " " + what, false, e);
  }

  @Override
  public Optional<List<StoredEvent>> eventsAfter(String streamId, String lastEventId) {
    return await(readAfter(streamId, lastEventId));
  }

  @Override
  public List<StoredEvent> events(String streamId) {
    return await(readAll(streamId));
  }

  @Override
  public CompletionStage<Optional<List<StoredEvent>>> readAfter(
      String streamId, String lastEventId) {
    return readAll(streamId).thenApply(all -> after(all, lastEventId));
  }

  @Override
  public CompletionStage<List<StoredEvent>> readAll(String streamId) {
    CompletableFuture<List<StoredEvent>> done = new CompletableFuture<>();
    if (stalled) {
      probe();
      readFailures.incrementAndGet();
      done.completeExceptionally(
          new BrokerUnavailableException(
              "Redis " + uri + " is not answering; stream " + streamId + " cannot be read",
              false,
              null));
      return done;
    }
    try {
      conn.async()
          .xrange(key(streamId), Range.create("-", "+"))
          .whenComplete(
              (messages, e) -> {
                if (e == null) {
                  done.complete(toEvents(messages));
                } else {
                  readFailures.incrementAndGet();
                  noteTimeout(e);
                  LOG.warn("Redis {}: could not read stream {}: {}", uri, streamId, e.toString());
                  done.completeExceptionally(
                      new BrokerUnavailableException(
                          "Redis " + uri + ": stream " + streamId + " cannot be read: " + e,
                          false,
                          e));
                }
              });
    } catch (RuntimeException e) {
      readFailures.incrementAndGet();
      done.completeExceptionally(
          new BrokerUnavailableException(
              "Redis " + uri + ": stream " + streamId + " cannot be read: " + e, false, e));
    }
    return done;
  }

  private static Optional<List<StoredEvent>> after(List<StoredEvent> all, String lastEventId) {
    // the first occurrence anchors the replay
    for (int i = 0; i < all.size(); i++) {
      if (all.get(i).id().equals(lastEventId)) {
        return Optional.of(new ArrayList<>(all.subList(i + 1, all.size())));
      }
    }
    return Optional.empty();
  }

  /** Waits for a read (the synchronous methods only; {@code ResumableStreams} never calls them). */
  private static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  @Override
  public void trim(String streamId) {
    try {
      conn.async()
          .del(key(streamId))
          .whenComplete(
              (n, e) -> {
                if (e != null) {
                  LOG.warn("Redis {}: could not delete stream {}: {}", uri, streamId, e.toString());
                }
              });
    } catch (RuntimeException e) {
      LOG.warn("Redis {}: could not delete stream {}: {}", uri, streamId, e.toString());
    }
  }

  @Override
  public boolean shared() {
    return true;
  }

  @Override
  public boolean available() {
    if (stalled) {
      probe(); // so that asking is enough to notice Redis is back
      return false;
    }
    return conn.isOpen();
  }

  /** Events that could not be stored because Redis failed. */
  public long storeFailures() {
    return storeFailures.get();
  }

  /** Reads that failed. */
  public long readFailures() {
    return readFailures.get();
  }

  /**
   * Ids for the streams of this store: an {@link EpochIdGen} ({@code "<epoch>-<n>"}), unique across
   * nodes without a round trip to Redis, and never repeated after a Redis restart or flush (a
   * client holding an id from before one is answered with a {@code resync}, never a wrong
   * continuation).
   */
  public IdGen idGen() {
    return new EpochIdGen();
  }

  /**
   * Claims {@code name} for {@code ttl} ({@code SET <prefix>claim:<name> NX PX}) without blocking:
   * completes with true for exactly one caller across all nodes until the claim expires, e.g. so
   * that one node per second publishes a periodic event; with false when another node has it or
   * Redis does not answer within the command timeout (never fails).
   */
  public CompletionStage<Boolean> claim(String name, Duration ttl) {
    Check.positive("ttl", ttl);
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    if (stalled) {
      probe();
      done.complete(false);
      return done;
    }
    try {
      conn.async()
          .set(
              prefix + "claim:" + name,
              "1",
              io.lettuce.core.SetArgs.Builder.nx().px(ttl.toMillis()))
          .whenComplete(
              (ok, e) -> {
                if (e != null) {
                  noteTimeout(e);
                  LOG.debug("Redis {}: claim {} failed: {}", uri, name, e.toString());
                }
                done.complete(e == null && "OK".equals(ok));
              });
    } catch (RuntimeException e) {
      LOG.debug("Redis {}: claim {} failed: {}", uri, name, e.toString());
      done.complete(false);
    }
    return done;
  }

  /**
   * The next value of the counter {@code <prefix><name>} ({@code INCR}) without blocking: numbers
   * unique across nodes, for applications that want numeric ids. A counter starts again after a
   * Redis flush or restart, so such ids do not carry an epoch (prefer {@link #idGen()}).
   */
  public CompletionStage<Long> next(String name) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    try {
      conn.async()
          .incr(prefix + name)
          .whenComplete(
              (n, e) -> {
                if (e == null) {
                  done.complete(n);
                } else {
                  noteTimeout(e);
                  done.completeExceptionally(
                      new BrokerUnavailableException(
                          "Redis " + uri + ": INCR " + prefix + name + " failed: " + e, false, e));
                }
              });
    } catch (RuntimeException e) {
      done.completeExceptionally(
          new BrokerUnavailableException("Redis " + uri + ": INCR failed: " + e, false, e));
    }
    return done;
  }

  private void noteTimeout(Throwable e) {
    if (RedisSupport.isTimeout(e)) {
      stalled = true;
      probe();
    }
  }

  /** While stalled: one PING at a time; its answer means Redis is back. */
  private void probe() {
    if (!probing.compareAndSet(false, true)) {
      return;
    }
    try {
      conn.async()
          .ping()
          .whenComplete(
              (pong, e) -> {
                probing.set(false);
                if (e == null && stalled) {
                  stalled = false;
                  LOG.warn("Redis {}: event store answering again", uri);
                } else if (e != null && stalled && RedisSupport.isTimeout(e)) {
                  probe(); // still frozen: ask again (each try waits the command timeout)
                }
              });
    } catch (RuntimeException e) {
      probing.set(false);
    }
  }

  private static List<StoredEvent> toEvents(List<StreamMessage<String, String>> messages) {
    List<StoredEvent> out = new ArrayList<>(messages.size());
    for (StreamMessage<String, String> m : messages) {
      Map<String, String> body = m.getBody();
      if (body.containsKey(HOLE_FIELD)) {
        out.clear(); // events before a hole cannot anchor a replay: their ids get a resync
        continue;
      }
      String id = body.get("id");
      String data = body.get("data");
      if (id == null || id.isEmpty() || data == null) {
        continue; // not ours
      }
      out.add(new StoredEvent(id, body.get("event"), data));
    }
    return out;
  }

  private String key(String streamId) {
    return prefix + streamId;
  }

  @Override
  public void close() {
    try {
      conn.close();
    } finally {
      RedisSupport.shutdown(client);
    }
  }

  @Override
  public String toString() {
    return "RedisEventStore[" + uri + ", " + prefix + "*, maxLen " + maxLen + "]";
  }
}
