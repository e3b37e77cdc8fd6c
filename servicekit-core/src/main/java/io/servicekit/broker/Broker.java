package io.servicekit.broker;

import java.util.concurrent.CompletionStage;

/**
 * A publish/subscribe message broker that lets hubs and resumable SSE streams span several server
 * processes ("nodes"): {@link io.servicekit.Hub#cluster}, {@link io.servicekit.sse.SseHub#cluster}
 * and {@link io.servicekit.sse.ResumableStreams.Builder#broker}.
 *
 * <p>Delivery is <em>at most once</em>: a message published while a subscriber is disconnected is
 * not delivered to it later, but the subscriber's node learns that it may have missed messages
 * ({@link #onGap}). Payloads are opaque bytes, at most {@link #maxPayloadBytes()}. Topics are
 * non-empty strings; patterns are topics in which {@code *} matches any run of characters.
 *
 * <p>Implementations are thread-safe and never block the caller: {@link #publish} hands the message
 * over and reports its fate through the returned stage. Listeners may be called on a broker thread
 * and must not block.
 */
public interface Broker extends AutoCloseable {
  /** Default limit on one payload: 1 MiB. */
  int DEFAULT_MAX_PAYLOAD_BYTES = 1 << 20;

  /** Receives messages from a subscription. */
  @FunctionalInterface
  interface Listener {
    /** One message published on {@code topic}. Must not block. */
    void onMessage(String topic, byte[] payload);
  }

  /** An active subscription; {@link #close()} ends it (idempotent). */
  interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  /** Receives {@link BrokerGap}s. */
  @FunctionalInterface
  interface GapListener {
    /** This node may have missed messages; called on a broker thread, must not block. */
    void onGap(BrokerGap gap);
  }

  /**
   * Publishes {@code payload} to every subscriber of {@code topic}, this process's included,
   * without blocking.
   *
   * @return completes when the broker has accepted the message (it is then delivered to every node
   *     subscribed at that moment); fails with {@link BrokerUnavailableException} when the broker
   *     is unreachable, failed or did not answer within its command timeout (a stalled broker may
   *     still deliver a timed-out message when it resumes)
   * @throws PayloadTooLargeException if the payload exceeds {@link #maxPayloadBytes()}
   * @throws IllegalArgumentException if the topic is empty
   * @throws IllegalStateException if the broker is closed
   */
  CompletionStage<Void> publish(String topic, byte[] payload);

  /**
   * Whether a publish now is expected to succeed: false while the broker is known to be unreachable
   * or stalled, so callers can refuse a message before delivering it anywhere. Default true.
   */
  default boolean available() {
    return true;
  }

  /**
   * Calls {@code listener} whenever this node may have missed messages (its subscription was lost
   * and is back). Default: never (an in-process broker misses nothing).
   *
   * @return closing it removes the listener
   */
  default Subscription onGap(GapListener listener) {
    java.util.Objects.requireNonNull(listener, "listener");
    return () -> {};
  }

  /** Subscribes {@code listener} to exactly {@code topic}. */
  Subscription subscribe(String topic, Listener listener);

  /**
   * Subscribes {@code listener} to every topic matching {@code pattern}, in which {@code *} matches
   * any run of characters.
   *
   * @throws IllegalArgumentException if the pattern contains a character other brokers would read
   *     as a pattern operator ({@code ? [ ] \})
   */
  Subscription subscribePattern(String pattern, Listener listener);

  /** The largest payload {@link #publish} accepts, in bytes. */
  int maxPayloadBytes();

  /** Ends every subscription and releases resources; idempotent. */
  @Override
  void close();

  /** A new in-process broker (the default: one node). */
  static Broker inMemory() {
    return new MemoryBroker();
  }

  /**
   * Checks a topic or pattern and a payload size against the rules of this SPI.
   *
   * @throws IllegalArgumentException naming the rule and the value
   */
  static void checkTopic(String what, String topic) {
    if (topic == null || topic.isEmpty()) {
      throw new IllegalArgumentException(what + " must be a non-empty string, got " + topic);
    }
  }

  /**
   * Checks a topic prefix (a hub's or stream's topic, to which {@code .<room>} or {@code .<stream>}
   * is appended): non-empty, without {@code *}.
   *
   * @return {@code topic}
   * @throws IllegalArgumentException naming the rule and the value
   */
  static String checkTopicPrefix(String what, String topic) {
    checkTopic(what, topic);
    if (topic.contains("*")) {
      throw new IllegalArgumentException(what + " must not contain *, got " + topic);
    }
    return topic;
  }

  /**
   * Checks that {@code size} bytes fit in {@code max}.
   *
   * @throws PayloadTooLargeException if not
   */
  static void checkSize(String topic, int size, int max) {
    if (size > max) {
      throw new PayloadTooLargeException(topic, size, max);
    }
  }
}
