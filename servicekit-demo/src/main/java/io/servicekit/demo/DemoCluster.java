package io.servicekit.demo;

import io.servicekit.broker.Broker;
import io.servicekit.redis.RedisBroker;
import io.servicekit.redis.RedisEventStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * What demo processes share when {@code SERVICEKIT_BROKER=redis://host:port} (or {@code
 * -Dservicekit.broker=...}) is set: a Redis pub/sub {@link Broker} for the chat rooms, the time
 * feed's published messages and the live {@code /events} feed, and a Redis Streams store for {@code
 * /events} replay, so a client may resume on any process; the channels ({@link ChannelsDemo}) keep
 * their history in the same Redis and their presence on the same broker.
 *
 * @param uri the Redis URI ({@code redis://host:port})
 * @param broker the shared broker
 * @param store the shared event store (also issues ids and the once-per-second tick claim)
 */
public record DemoCluster(String uri, Broker broker, RedisEventStore store)
    implements AutoCloseable {
  /** The environment variable naming the broker. */
  public static final String ENV = "SERVICEKIT_BROKER";

  /** The system property naming the broker (takes precedence over the environment). */
  public static final String PROPERTY = "servicekit.broker";

  /** Key prefix of the demo's data in Redis. */
  public static final String PREFIX = "servicekit:demo:";

  public DemoCluster {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(broker, "broker");
    Objects.requireNonNull(store, "store");
  }

  /** The configured broker URI: the system property, else the environment; null if neither. */
  public static String configured() {
    String v = System.getProperty(PROPERTY);
    if (v == null || v.isBlank()) {
      v = System.getenv(ENV);
    }
    return v == null || v.isBlank() ? null : v.strip();
  }

  /**
   * Connects to {@code uri}; null when {@code uri} is null (the demo then runs on one process).
   *
   * @throws io.servicekit.redis.RedisUnavailableException if Redis cannot be reached
   * @throws IllegalArgumentException if {@code uri} is not {@code redis://host:port}
   */
  public static DemoCluster connect(String uri) {
    if (uri == null) {
      return null;
    }
    RedisBroker broker = RedisBroker.connect(uri);
    try {
      return new DemoCluster(
          uri, broker, RedisEventStore.builder(uri).prefix(PREFIX + "sse:").maxLen(1000).connect());
    } catch (RuntimeException e) {
      broker.close();
      throw e;
    }
  }

  /**
   * Completes with true on exactly one process per wall-clock second: that one publishes the tick.
   * Never blocks (false when Redis does not answer in time).
   */
  public CompletionStage<Boolean> claimTick() {
    return store.claim("tick:" + Instant.now().getEpochSecond(), Duration.ofSeconds(10));
  }

  @Override
  public void close() {
    try {
      broker.close();
    } finally {
      store.close();
    }
  }
}
