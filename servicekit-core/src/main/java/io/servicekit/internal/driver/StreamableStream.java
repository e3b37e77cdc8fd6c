package io.servicekit.internal.driver;

import io.servicekit.Request;
import io.servicekit.Scheduler;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.internal.Ids;
import io.servicekit.internal.SseFormat;
import io.servicekit.internal.WriteQueue;
import io.servicekit.internal.lifecycle.Lifecycle;
import io.servicekit.spi.SseTransport;
import io.servicekit.spi.StreamableDriver;
import io.servicekit.spi.Transport;
import io.servicekit.sse.SseEvent;
import io.servicekit.streamable.StreamClosedException;
import io.servicekit.streamable.StreamResponse;
import io.servicekit.streamable.StreamSession;
import io.servicekit.streamable.StreamableConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver of one {@link StreamResponse} over an {@link SseTransport}: the {@link StreamSession}
 * its producer writes to, a bounded queue with one writer (sends block while it is full), keepalive
 * comments, the write timeout, and the producer's virtual thread. Server bindings create one per
 * streamed response ({@link StreamableDriver#create}), call {@link #open} once the status and
 * headers are set, and report the transport's failure with {@link #onTransportFailure};
 * applications see it only as the {@link StreamSession}. Internal: not part of the API.
 *
 * <p>States: {@code NEW → OPEN → CLOSING → CLOSED}. {@link #close()} (also when the producer
 * returns or throws) writes what is queued, then ends the response; the client going away, a write
 * failure or a write timeout end it at once, wake every blocked sender with {@link
 * StreamClosedException} and interrupt the producer's thread if it is still running. The {@code
 * whenClosed} actions run once, in registration order, on reaching {@code CLOSED}.
 */
public final class StreamableStream implements StreamSession, StreamableDriver {
  private static final Logger LOG = LoggerFactory.getLogger(StreamableStream.class);
  private static final AtomicLong PRODUCERS = new AtomicLong();

  /** One queued write; {@code counted} items take room in the producer's budget. */
  private record Item(byte[] bytes, boolean counted) {}

  private static final Item END = new Item(new byte[0], false);
  private static final byte[] KEEPALIVE = SseFormat.keepalive();

  private final StreamableConfig config;
  private final String name;
  private final Request request;
  private final String id = Ids.random();
  private final Scheduler scheduler;
  // Queue items: event bytes, then END as the last one; ends with the reason (a string).
  private final Lifecycle<Item, String> life;
  private final Lifecycle<Item, String>.Timer keepaliveTimer;

  // The producer's budget: senders wait on room while it is used up.
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition room = lock.newCondition();
  // Guarded by lock.
  private int queuedCount;
  private long queuedBytes;
  private @Nullable Thread producerThread;

  private volatile @Nullable SseTransport transport; // set by open()

  /**
   * A driver for one stream.
   *
   * @param request the request the stream answers
   * @param name what logs call this stream, e.g. {@code "POST /mcp"}
   */
  public StreamableStream(StreamableConfig config, Request request, String name) {
    this.config = Objects.requireNonNull(config, "config");
    this.request = Objects.requireNonNull(request, "request");
    this.name = Objects.requireNonNull(name, "name");
    this.scheduler = config.scheduler();
    this.life =
        new Lifecycle<>(
            name,
            scheduler,
            "servicekit-streamable-callbacks",
            Long.MAX_VALUE, // the budget below, enforced by blocking, bounds the queue
            false,
            config.writeTimeout(),
            Lifecycle.FailRule.FAILURE_REPLACES_CLOSE,
            new Hooks());
    this.keepaliveTimer = life.timer();
  }

  /** What the shell asks of a streamed response. */
  private final class Hooks implements Lifecycle.Protocol<Item, String> {
    @Override
    public void write(Item item, Transport.WriteCallback callback) {
      if (item != END) {
        transport()
            .write(
                item.bytes(),
                new Transport.WriteCallback() {
                  @Override
                  public void succeeded() {
                    release(item);
                    callback.succeeded();
                  }

                  @Override
                  public void failed(Throwable cause) {
                    callback.failed(cause);
                  }
                });
        return;
      }
      transport()
          .end(
              new Transport.WriteCallback() {
                @Override
                public void succeeded() {
                  callback.succeeded();
                  life.end(life.localEndOr("stream ended"));
                }

                @Override
                public void failed(Throwable cause) {
                  callback.failed(cause);
                }
              });
    }

    @Override
    public void writeFailed(Throwable cause) {
      LOG.debug("{}: write failed", name, cause);
      fail("write failed: " + cause);
    }

    @Override
    public void writeStuck() {
      LOG.debug("{}: write timeout", name);
      fail("write timeout: client read nothing for " + config.writeTimeout().toMillis() + "ms");
    }

    @Override
    public void ended(String reason, boolean failed) {
      Thread producer;
      lock.lock();
      try {
        room.signalAll();
        producer = failed ? producerThread : null;
      } finally {
        lock.unlock();
      }
      if (producer != null) {
        producer.interrupt();
      }
      LOG.debug("{}: stream closed: {}", name, reason);
    }

    @Override
    public void deliverEnd(String reason) {
      // Nothing of the user's but the whenClosed actions, which the shell runs next.
    }
  }

  // ---------------------------------------------------------------- events from the binding

  @Override
  public StreamSession session() {
    return this;
  }

  /**
   * The response is ready (status and headers set, nothing written): commits it (with the {@code
   * retry:} hint if configured), starts keepalives and runs {@code producer} on a virtual thread.
   */
  @Override
  public void open(SseTransport transport, StreamResponse.Producer producer) {
    Objects.requireNonNull(producer, "producer");
    Objects.requireNonNull(transport, "transport");
    if (!life.open()) {
      transport.abort(new IOException("stream ended before it opened"));
      return;
    }
    this.transport = transport;
    // The keepalive period starts before the first write commits the response: whoever sees the
    // headers may count on it (a test advancing a fake clock does).
    if (!config.keepalivePeriod().isZero()) {
      keepaliveTimer.repeat(
          () ->
              life.queue()
                  .offer(new Item(KEEPALIVE, false), KEEPALIVE.length, SlowConsumerPolicy.CLOSE),
          config.keepalivePeriod());
    }
    byte[] first = config.retry().map(r -> SseFormat.retry(r.toMillis())).orElse(new byte[0]);
    life.queue().offer(new Item(first, false), first.length, SlowConsumerPolicy.CLOSE);
    LOG.debug("{}: stream open", name);
    scheduler.execute(
        "servicekit-streamable-" + PRODUCERS.getAndIncrement(),
        () -> {
          lock.lock();
          try {
            producerThread = life.state() == Lifecycle.State.CLOSED ? null : Thread.currentThread();
          } finally {
            lock.unlock();
          }
          runProducer(producer);
        });
  }

  /** The response failed underneath: the client went away, or the server is stopping. */
  @Override
  public void onTransportFailure(Throwable cause) {
    fail("client gone: " + cause);
  }

  /** Why the stream ended, once it has. */
  public Optional<String> endReason() {
    return Optional.ofNullable(life.endValue());
  }

  /** Whether the stream has ended (the response is complete or dropped). */
  public boolean isFinished() {
    return life.isEnded();
  }

  // ---------------------------------------------------------------- StreamSession

  @Override
  public void send(SseEvent event) throws InterruptedException {
    Objects.requireNonNull(event, "event");
    enqueue(event.toBytes());
  }

  @Override
  public void comment(String text) throws InterruptedException {
    enqueue(SseFormat.comment(text));
  }

  @Override
  public void retry(Duration retry) throws InterruptedException {
    long millis = retry.toMillis();
    if (millis < 1) {
      throw new IllegalArgumentException("SSE retry must be at least 1 ms: " + retry);
    }
    enqueue(SseFormat.retry(millis));
  }

  @Override
  public boolean isOpen() {
    return life.isOpen();
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Request request() {
    return request;
  }

  @Override
  public void whenClosed(Runnable action) {
    Objects.requireNonNull(action, "action");
    life.whenClosed(reason -> action.run());
  }

  @Override
  public void close() {
    if (!life.close("stream ended")) {
      return;
    }
    lock.lock();
    try {
      room.signalAll(); // blocked senders see CLOSING
    } finally {
      lock.unlock();
    }
    LOG.debug("{}: closing", name);
    life.queue().offerLast(END);
  }

  // ---------------------------------------------------------------- internals

  private void enqueue(byte[] bytes) throws InterruptedException {
    int size = bytes.length;
    lock.lockInterruptibly();
    try {
      while (true) {
        if (!life.isOpen()) {
          throw closedException();
        }
        if (queuedCount == 0
            || (queuedCount < config.queueCapacity()
                && queuedBytes + size <= config.maxQueuedBytes())) {
          break;
        }
        room.await();
      }
      queuedCount++;
      queuedBytes += size;
    } finally {
      lock.unlock();
    }
    Item item = new Item(bytes, true);
    if (life.queue().offer(item, size, SlowConsumerPolicy.CLOSE) != WriteQueue.Offer.QUEUED) {
      release(item);
      throw closedException();
    }
  }

  private StreamClosedException closedException() {
    String reason = life.localEnd();
    return new StreamClosedException(
        name + ": stream closed (" + (reason == null ? "not open" : reason) + ")");
  }

  private void release(Item item) {
    if (!item.counted()) {
      return;
    }
    lock.lock();
    try {
      queuedCount--;
      queuedBytes -= item.bytes().length;
      room.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void runProducer(StreamResponse.Producer producer) {
    try {
      producer.produce(this);
    } catch (StreamClosedException e) {
      LOG.debug("{}: producer stopped: {}", name, e.getMessage());
    } catch (InterruptedException e) {
      if (life.isEnded()) {
        LOG.debug("{}: producer interrupted after the stream ended", name);
      } else {
        LOG.warn("{}: producer interrupted", name, e);
      }
    } catch (Throwable e) {
      LOG.warn("{}: producer failed; ending the stream", name, e);
    } finally {
      lock.lock();
      try {
        producerThread = null;
      } finally {
        lock.unlock();
      }
      Thread.interrupted(); // an interrupt aimed at the producer must not outlive it
      close();
    }
  }

  /** Ends the stream at once: nothing more can be written in order. */
  private void fail(String reason) {
    // End first: aborting fails the write in flight, whose report must not replace the cause.
    if (life.fail(reason)) {
      SseTransport t = transport;
      if (t != null) { // null only while open() has not stored it: the binding reported the end
        t.abort(new IOException("stream dropped: " + reason));
      }
    }
  }

  /** The transport given to {@link #open}: everything that writes runs after it. */
  private SseTransport transport() {
    SseTransport t = transport;
    if (t == null) {
      throw new IllegalStateException("stream " + name + " is not open");
    }
    return t;
  }

  @Override
  public String toString() {
    return "StreamableStream[" + name + "]";
  }
}
