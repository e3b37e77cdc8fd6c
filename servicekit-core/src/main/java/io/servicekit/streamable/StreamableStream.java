package io.servicekit.streamable;

import io.servicekit.Ids;
import io.servicekit.Request;
import io.servicekit.Scheduler;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.internal.WriteQueue;
import io.servicekit.internal.WriteWatchdog;
import io.servicekit.spi.SseTransport;
import io.servicekit.spi.Transport;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseFormat;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver of one {@link StreamResponse} over an {@link SseTransport}: the {@link StreamSession}
 * its producer writes to, a bounded queue with one writer (sends block while it is full), keepalive
 * comments, the write timeout, and the producer's virtual thread. Server bindings create one per
 * streamed response, call {@link #open} once the status and headers are set, and report the
 * transport's failure with {@link #onTransportFailure}; applications see it only as the {@link
 * StreamSession}.
 *
 * <p>States: {@code NEW → OPEN → CLOSING → CLOSED}. {@link #close()} (also when the producer
 * returns or throws) writes what is queued, then ends the response; the client going away, a write
 * failure or a write timeout end it at once, wake every blocked sender with {@link
 * StreamClosedException} and interrupt the producer's thread if it is still running. {@code
 * onClose} actions run once on reaching {@code CLOSED}.
 */
public final class StreamableStream implements StreamSession {
  private static final Logger LOG = LoggerFactory.getLogger(StreamableStream.class);
  private static final AtomicLong PRODUCERS = new AtomicLong();

  /** One queued write; {@code counted} items take room in the producer's budget. */
  private record Item(byte[] bytes, boolean counted) {}

  private static final Item END = new Item(new byte[0], false);
  private static final byte[] KEEPALIVE = SseFormat.keepalive();

  private enum State {
    NEW,
    OPEN,
    CLOSING,
    CLOSED
  }

  private final StreamableConfig config;
  private final String name;
  private final Request request;
  private final String id = Ids.random();
  private final Scheduler scheduler;
  private final Executor callbacks;
  private final WriteWatchdog watchdog;
  private final AtomicBoolean finished = new AtomicBoolean();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition room = lock.newCondition();
  // Guarded by lock.
  private State state = State.NEW;
  private int queuedCount;
  private long queuedBytes;
  private String endReason;
  private final List<Runnable> closeActions = new ArrayList<>();
  private Thread producerThread;

  private volatile SseTransport transport;
  private volatile WriteQueue<Item> queue;
  private volatile Scheduler.Cancellable keepaliveTask;

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
    this.callbacks = scheduler.serial("servicekit-streamable-callbacks");
    this.watchdog =
        new WriteWatchdog(
            scheduler,
            config.writeTimeout(),
            () -> {
              WriteQueue<Item> q = queue;
              return q == null ? -1 : q.inFlightSince();
            },
            finished::get,
            this::onWriteStuck);
  }

  // ---------------------------------------------------------------- events from the binding

  /**
   * The response is ready (status and headers set, nothing written): commits it (with the {@code
   * retry:} hint if configured), starts keepalives and runs {@code producer} on a virtual thread.
   */
  public void open(SseTransport transport, StreamResponse.Producer producer) {
    Objects.requireNonNull(producer, "producer");
    lock.lock();
    try {
      if (state != State.NEW) {
        throw new IllegalStateException("open() called twice for " + name);
      }
      state = State.OPEN;
    } finally {
      lock.unlock();
    }
    this.transport = Objects.requireNonNull(transport, "transport");
    this.queue =
        new WriteQueue<>(
            this::write,
            scheduler,
            Long.MAX_VALUE, // the sink's own budget, enforced by blocking, bounds the queue
            WriteQueue.Listener.of(
                watchdog,
                cause -> {
                  LOG.debug("{}: write failed", name, cause);
                  fail("write failed: " + cause);
                }),
            false);
    // The keepalive period starts before the first write commits the response: whoever sees the
    // headers may count on it (a test advancing a fake clock does).
    if (!config.keepalivePeriod().isZero()) {
      scheduleKeepalive();
    }
    byte[] first = config.retry().map(r -> SseFormat.retry(r.toMillis())).orElse(new byte[0]);
    queue.offer(new Item(first, false), first.length, SlowConsumerPolicy.CLOSE);
    LOG.debug("{}: stream open", name);
    scheduler.execute(
        "servicekit-streamable-" + PRODUCERS.getAndIncrement(),
        () -> {
          lock.lock();
          try {
            producerThread = state == State.CLOSED ? null : Thread.currentThread();
          } finally {
            lock.unlock();
          }
          runProducer(producer);
        });
  }

  /** The response failed underneath: the client went away, or the server is stopping. */
  public void onTransportFailure(Throwable cause) {
    fail("client gone: " + cause);
  }

  /** Why the stream ended, once it has. */
  public Optional<String> endReason() {
    lock.lock();
    try {
      return Optional.ofNullable(state == State.CLOSED ? endReason : null);
    } finally {
      lock.unlock();
    }
  }

  /** Whether the stream has ended (the response is complete or dropped). */
  public boolean isFinished() {
    return finished.get();
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
    lock.lock();
    try {
      return state == State.OPEN;
    } finally {
      lock.unlock();
    }
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
    lock.lock();
    try {
      if (state != State.CLOSED) {
        closeActions.add(action);
        return;
      }
    } finally {
      lock.unlock();
    }
    callbacks.execute(() -> runCloseAction(action));
  }

  @Override
  public void close() {
    lock.lock();
    try {
      if (state != State.OPEN) {
        return;
      }
      state = State.CLOSING;
      endReason = "stream ended";
      room.signalAll();
    } finally {
      lock.unlock();
    }
    LOG.debug("{}: closing", name);
    queue.offerLast(END);
  }

  // ---------------------------------------------------------------- internals

  private void enqueue(byte[] bytes) throws InterruptedException {
    int size = bytes.length;
    lock.lockInterruptibly();
    try {
      while (true) {
        if (state != State.OPEN) {
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
    if (queue.offer(item, size, SlowConsumerPolicy.CLOSE) != WriteQueue.Offer.QUEUED) {
      release(item);
      throw closedException();
    }
  }

  private StreamClosedException closedException() {
    return new StreamClosedException(
        name + ": stream closed (" + (endReason == null ? "not open" : endReason) + ")");
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

  private void write(Item item, Transport.WriteCallback callback) {
    if (item != END) {
      transport.write(
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
    transport.end(
        new Transport.WriteCallback() {
          @Override
          public void succeeded() {
            callback.succeeded();
            finish("stream ended", false);
          }

          @Override
          public void failed(Throwable cause) {
            callback.failed(cause);
          }
        });
  }

  private void runProducer(StreamResponse.Producer producer) {
    try {
      producer.produce(this);
    } catch (StreamClosedException e) {
      LOG.debug("{}: producer stopped: {}", name, e.getMessage());
    } catch (InterruptedException e) {
      if (finished.get()) {
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
    lock.lock();
    try {
      if (state == State.NEW || state == State.CLOSED) {
        return;
      }
    } finally {
      lock.unlock();
    }
    // Finish first: aborting fails the write in flight, whose report must not replace the cause.
    if (finish(reason, true)) {
      transport.abort(new IOException("stream dropped: " + reason));
    }
  }

  private boolean finish(String reason, boolean abnormal) {
    if (!finished.compareAndSet(false, true)) {
      return false;
    }
    List<Runnable> actions;
    Thread producer;
    lock.lock();
    try {
      if (abnormal || endReason == null) {
        endReason = reason;
      }
      state = State.CLOSED;
      room.signalAll();
      actions = List.copyOf(closeActions);
      closeActions.clear();
      producer = abnormal ? producerThread : null;
    } finally {
      lock.unlock();
    }
    // Nothing scheduled may keep a finished stream reachable: both tasks hold it.
    Scheduler.Cancellable k = keepaliveTask;
    if (k != null) {
      k.cancel();
    }
    watchdog.stop();
    WriteQueue<Item> q = queue;
    if (q != null) {
      q.clear();
    }
    if (producer != null) {
      producer.interrupt();
    }
    LOG.debug("{}: stream closed: {}", name, reason);
    for (Runnable action : actions) {
      callbacks.execute(() -> runCloseAction(action));
    }
    return true;
  }

  private void runCloseAction(Runnable action) {
    try {
      action.run();
    } catch (Throwable e) {
      LOG.warn("{}: onClose action threw", name, e);
    }
  }

  private void keepaliveTick() {
    if (!isOpen()) {
      return;
    }
    WriteQueue<Item> q = queue;
    q.offer(new Item(KEEPALIVE, false), KEEPALIVE.length, SlowConsumerPolicy.CLOSE);
    if (isOpen()) {
      scheduleKeepalive();
    }
  }

  /**
   * Schedules the next keepalive; cancels it at once if the stream finished meanwhile ({@link
   * #finish} sets {@code finished} before it reads {@code keepaliveTask}, so one side sees the
   * other).
   */
  private void scheduleKeepalive() {
    Scheduler.Cancellable k = scheduler.schedule(this::keepaliveTick, config.keepalivePeriod());
    keepaliveTask = k;
    if (finished.get()) {
      k.cancel();
    }
  }

  /** The write in flight made no progress for the write timeout. */
  private void onWriteStuck() {
    LOG.debug("{}: write timeout", name);
    fail("write timeout: client read nothing for " + config.writeTimeout().toMillis() + "ms");
  }

  @Override
  public String toString() {
    return "StreamableStream[" + name + "]";
  }
}
