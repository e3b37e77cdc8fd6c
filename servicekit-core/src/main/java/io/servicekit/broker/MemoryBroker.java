package io.servicekit.broker;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process {@link Broker}: delivers each message synchronously, on the publishing thread, to
 * the subscribers in this JVM. The default for a single node; several hubs on one {@code
 * MemoryBroker} behave like several nodes, which is how the clustering logic is tested without
 * Redis. A listener that throws is logged and does not affect the others.
 */
public final class MemoryBroker implements Broker {
  private static final Logger LOG = LoggerFactory.getLogger(MemoryBroker.class);

  private record Sub(String topic, @Nullable Pattern pattern, Listener listener) {
    boolean matches(String t) {
      return pattern != null ? pattern.matcher(t).matches() : topic.equals(t);
    }
  }

  private final int maxPayloadBytes;
  private final CopyOnWriteArrayList<Sub> subs = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  /** A broker accepting payloads up to {@link #DEFAULT_MAX_PAYLOAD_BYTES}. */
  public MemoryBroker() {
    this(DEFAULT_MAX_PAYLOAD_BYTES);
  }

  /** A broker accepting payloads up to {@code maxPayloadBytes}. */
  public MemoryBroker(int maxPayloadBytes) {
    if (maxPayloadBytes <= 0) {
      throw new IllegalArgumentException("maxPayloadBytes must be positive: " + maxPayloadBytes);
    }
    this.maxPayloadBytes = maxPayloadBytes;
  }

  @Override
  public CompletionStage<Void> publish(String topic, byte[] payload) {
    Broker.checkTopic("topic", topic);
    Objects.requireNonNull(payload, "payload");
    Broker.checkSize(topic, payload.length, maxPayloadBytes);
    if (closed) {
      throw new IllegalStateException("broker is closed");
    }
    for (Sub s : subs) {
      if (s.matches(topic)) {
        try {
          s.listener().onMessage(topic, payload);
        } catch (RuntimeException e) {
          LOG.warn("broker listener failed for topic {}", topic, e);
        }
      }
    }
    return DONE;
  }

  private static final CompletionStage<Void> DONE = CompletableFuture.completedStage(null);

  @Override
  public Subscription subscribe(String topic, Listener listener) {
    Broker.checkTopic("topic", topic);
    return add(new Sub(topic, null, Objects.requireNonNull(listener, "listener")));
  }

  @Override
  public Subscription subscribePattern(String pattern, Listener listener) {
    return add(
        new Sub(pattern, globToRegex(pattern), Objects.requireNonNull(listener, "listener")));
  }

  /**
   * The regular expression for a pattern of this SPI ({@code *} only).
   *
   * @throws IllegalArgumentException if the pattern is empty or uses {@code ? [ ] \}
   */
  public static Pattern globToRegex(String pattern) {
    Broker.checkTopic("pattern", pattern);
    StringBuilder re = new StringBuilder();
    StringBuilder literal = new StringBuilder();
    for (char c : pattern.toCharArray()) {
      if (c == '?' || c == '[' || c == ']' || c == '\\') {
        throw new IllegalArgumentException(
            "pattern may use only * as a wildcard (no ? [ ] \\), got " + pattern);
      }
      if (c == '*') {
        re.append(Pattern.quote(literal.toString())).append(".*");
        literal.setLength(0);
      } else {
        literal.append(c);
      }
    }
    re.append(Pattern.quote(literal.toString()));
    return Pattern.compile(re.toString(), Pattern.DOTALL);
  }

  private Subscription add(Sub sub) {
    if (closed) {
      throw new IllegalStateException("broker is closed");
    }
    subs.add(sub);
    return () -> subs.remove(sub);
  }

  @Override
  public int maxPayloadBytes() {
    return maxPayloadBytes;
  }

  @Override
  public void close() {
    closed = true;
    subs.clear();
  }

  @Override
  public String toString() {
    return "MemoryBroker[" + subs.size() + " subscriptions]";
  }
}
