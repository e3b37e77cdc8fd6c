package io.servicekit.broker;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An in-memory broker a test switches off ({@link #up}), makes answer one publish with a stage of
 * its own ({@link #nextResult}), makes handle every publish its own way ({@link #onPublish}: throw,
 * hold the delivery...), and makes report a gap ({@link #gap}).
 */
public final class ControlledBroker implements Broker {
  private final MemoryBroker inner = new MemoryBroker();

  /** Whether {@link #available()} says yes. */
  public final AtomicBoolean up = new AtomicBoolean(true);

  /** If set, the next publish returns this stage instead of delivering. */
  public final AtomicReference<CompletableFuture<Void>> nextResult = new AtomicReference<>();

  private final CopyOnWriteArrayList<GapListener> gapListeners = new CopyOnWriteArrayList<>();

  /** Handles a publish; {@code memory} is the in-memory broker that delivers to subscribers. */
  @FunctionalInterface
  public interface PublishHandler {
    CompletionStage<Void> publish(String topic, byte[] payload, Broker memory);
  }

  private volatile PublishHandler handler =
      (topic, payload, memory) -> memory.publish(topic, payload);

  /** Every later publish (but one {@link #nextResult} answers) goes to {@code handler}. */
  public ControlledBroker onPublish(PublishHandler handler) {
    this.handler = java.util.Objects.requireNonNull(handler, "handler");
    return this;
  }

  @Override
  public CompletionStage<Void> publish(String topic, byte[] payload) {
    CompletableFuture<Void> r = nextResult.getAndSet(null);
    return r != null ? r : handler.publish(topic, payload, inner);
  }

  @Override
  public boolean available() {
    return up.get();
  }

  @Override
  public Subscription onGap(GapListener listener) {
    gapListeners.add(listener);
    return () -> gapListeners.remove(listener);
  }

  /** Reports a gap with {@code reason} and {@code outage} to every gap listener. */
  public void gap(String reason, Duration outage) {
    gapListeners.forEach(l -> l.onGap(new BrokerGap(reason, outage)));
  }

  /** The gap listeners registered now. */
  public List<GapListener> gapListeners() {
    return List.copyOf(gapListeners);
  }

  @Override
  public Subscription subscribe(String topic, Listener listener) {
    return inner.subscribe(topic, listener);
  }

  @Override
  public Subscription subscribePattern(String pattern, Listener listener) {
    return inner.subscribePattern(pattern, listener);
  }

  @Override
  public int maxPayloadBytes() {
    return inner.maxPayloadBytes();
  }

  @Override
  public void close() {
    inner.close();
  }
}
