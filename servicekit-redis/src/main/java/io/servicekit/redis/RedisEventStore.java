package io.servicekit.redis;

import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.servicekit.sse.EventStore;
import io.servicekit.sse.IdGen;
import io.servicekit.sse.StoredEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link EventStore} on Redis Streams, shared by every node: one Redis stream per SSE stream
 * (key {@code <prefix><streamId>}), each event an entry with fields {@code id}, {@code event} (if
 * named) and {@code data}, trimmed to the newest {@code maxLen} entries with {@code XADD MAXLEN}. A
 * client can therefore reconnect to any node and resume from its {@code Last-Event-ID}.
 *
 * <p>Use it with {@link #idGen()} (ids from {@code INCR}, unique across nodes) and a broker ({@link
 * io.servicekit.sse.ResumableStreams.Builder#broker}) so live events reach every node.
 *
 * <p>When Redis is unreachable, {@link #store} logs and counts the event ({@link #storeFailures()})
 * instead of throwing — live delivery continues, but that event cannot be replayed — and {@link
 * #eventsAfter} answers "unknown id", so a reconnecting client gets a {@code resync} event.
 */
public final class RedisEventStore implements EventStore, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RedisEventStore.class);

  /** Default number of events kept per stream, as {@link io.servicekit.sse.MemoryEventStore}. */
  public static final int DEFAULT_MAX_LEN = 1000;

  private final String uri;
  private final String prefix;
  private final int maxLen;
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> conn;
  private final AtomicLong storeFailures = new AtomicLong();
  private final AtomicLong readFailures = new AtomicLong();

  private RedisEventStore(String uri, String prefix, int maxLen, Duration reconnectDelay) {
    if (maxLen <= 0) {
      throw new IllegalArgumentException("maxLen must be positive: " + maxLen);
    }
    if (prefix == null || prefix.isEmpty()) {
      throw new IllegalArgumentException("key prefix must be non-empty, got " + prefix);
    }
    this.uri = uri;
    this.prefix = prefix;
    this.maxLen = maxLen;
    this.client =
        RedisSupport.client(
            RedisSupport.uri(uri, Duration.ofSeconds(5)), Duration.ofSeconds(2), reconnectDelay);
    try {
      this.conn = client.connect();
    } catch (RuntimeException e) {
      RedisSupport.shutdown(client);
      throw new RedisUnavailableException(uri, e);
    }
  }

  /**
   * Connects to {@code uri}, keeping {@code maxLen} events per stream under keys starting with
   * {@code prefix} (e.g. {@code "myapp:sse:"}).
   *
   * @throws RedisUnavailableException if Redis cannot be reached
   * @throws IllegalArgumentException if an argument is malformed
   */
  public static RedisEventStore connect(String uri, String prefix, int maxLen) {
    return new RedisEventStore(uri, prefix, maxLen, Duration.ofSeconds(1));
  }

  /** Like {@link #connect(String, String, int)}, reconnecting every {@code reconnectDelay}. */
  public static RedisEventStore connect(
      String uri, String prefix, int maxLen, Duration reconnectDelay) {
    RedisSupport.checkPositive("reconnectDelay", reconnectDelay);
    return new RedisEventStore(uri, prefix, maxLen, reconnectDelay);
  }

  @Override
  public void store(String streamId, StoredEvent event) {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("id", event.id());
    if (event.event() != null) {
      body.put("event", event.event());
    }
    body.put("data", event.data());
    try {
      conn.sync().xadd(key(streamId), new XAddArgs().maxlen(maxLen).exactTrimming(), body);
    } catch (RuntimeException e) {
      long n = storeFailures.incrementAndGet();
      LOG.warn(
          "Redis {}: could not store event {} of stream {} ({} so far); it is delivered live but"
              + " cannot be replayed: {}",
          uri,
          event.id(),
          streamId,
          n,
          e.toString());
    }
  }

  @Override
  public Optional<List<StoredEvent>> eventsAfter(String streamId, String lastEventId) {
    List<StoredEvent> all = read(streamId);
    for (int i = all.size() - 1; i >= 0; i--) {
      if (all.get(i).id().equals(lastEventId)) {
        // the first occurrence anchors the replay
        int first = i;
        for (int j = 0; j < i; j++) {
          if (all.get(j).id().equals(lastEventId)) {
            first = j;
            break;
          }
        }
        return Optional.of(new ArrayList<>(all.subList(first + 1, all.size())));
      }
    }
    return Optional.empty();
  }

  @Override
  public List<StoredEvent> events(String streamId) {
    return read(streamId);
  }

  @Override
  public void trim(String streamId) {
    try {
      conn.sync().del(key(streamId));
    } catch (RuntimeException e) {
      LOG.warn("Redis {}: could not delete stream {}: {}", uri, streamId, e.toString());
    }
  }

  @Override
  public boolean shared() {
    return true;
  }

  /** Events that could not be stored because Redis failed. */
  public long storeFailures() {
    return storeFailures.get();
  }

  /** Reads that failed (answered as an empty stream). */
  public long readFailures() {
    return readFailures.get();
  }

  /**
   * Ids {@code "1"}, {@code "2"}, ... from {@code INCR <prefix>ids}, unique across every node on
   * this Redis. If Redis fails, a node-local id {@code "<random>-<n>"} is issued instead (still
   * unique, logged) so publishing never stops.
   */
  public IdGen idGen() {
    String counter = prefix + "ids";
    String fallbackPrefix = io.servicekit.Ids.random().substring(0, 12) + "-";
    AtomicLong local = new AtomicLong();
    return () -> {
      try {
        return Long.toString(conn.sync().incr(counter));
      } catch (RuntimeException e) {
        LOG.warn(
            "Redis {}: INCR {} failed, issuing a node-local id: {}", uri, counter, e.toString());
        return fallbackPrefix + local.incrementAndGet();
      }
    };
  }

  /**
   * Claims {@code name} for {@code ttl} ({@code SET <prefix>claim:<name> NX PX}): true for exactly
   * one caller across all nodes until the claim expires, e.g. so that one node per second publishes
   * a periodic event. False as well when Redis cannot be reached.
   */
  public boolean claim(String name, Duration ttl) {
    RedisSupport.checkPositive("ttl", ttl);
    try {
      return "OK"
          .equals(
              conn.sync()
                  .set(
                      prefix + "claim:" + name,
                      "1",
                      io.lettuce.core.SetArgs.Builder.nx().px(ttl.toMillis())));
    } catch (RuntimeException e) {
      LOG.debug("Redis {}: claim {} failed: {}", uri, name, e.toString());
      return false;
    }
  }

  private List<StoredEvent> read(String streamId) {
    List<StreamMessage<String, String>> messages;
    try {
      messages = conn.sync().xrange(key(streamId), Range.create("-", "+"));
    } catch (RuntimeException e) {
      readFailures.incrementAndGet();
      LOG.warn("Redis {}: could not read stream {}: {}", uri, streamId, e.toString());
      return List.of();
    }
    List<StoredEvent> out = new ArrayList<>(messages.size());
    for (StreamMessage<String, String> m : messages) {
      Map<String, String> body = m.getBody();
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
