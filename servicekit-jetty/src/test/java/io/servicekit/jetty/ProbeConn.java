package io.servicekit.jetty;

import io.servicekit.CloseStatus;
import io.servicekit.ErrorAction;
import io.servicekit.JsonConn;
import io.servicekit.WsSession;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** A JSON connection that records every callback; by default it echoes what it receives. */
class ProbeConn extends JsonConn {
  /** What {@link #handleMessage} does after recording the message. */
  interface Behaviour {
    void onMessage(ProbeConn conn, Object message) throws Exception;
  }

  final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
  final List<Throwable> errors = new CopyOnWriteArrayList<>();
  final List<String> callbackThreads = new CopyOnWriteArrayList<>();
  final AtomicInteger starts = new AtomicInteger();
  final AtomicInteger closes = new AtomicInteger();
  final AtomicInteger timeouts = new AtomicInteger();
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger maxInFlight = new AtomicInteger();
  final CompletableFuture<CloseStatus> closedWith = new CompletableFuture<>();
  volatile Behaviour behaviour = (c, m) -> c.sendOutput(m);
  volatile ErrorAction errorAction = ErrorAction.CLOSE;
  volatile boolean closeOnTimeout = true;
  volatile Exception failOnStart;

  ProbeConn() {
    super("Probe");
  }

  @Override
  public void onStart(WsSession session) throws Exception {
    starts.incrementAndGet();
    if (failOnStart != null) {
      throw failOnStart;
    }
  }

  @Override
  public void handleMessage(Object message) throws Exception {
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    callbackThreads.add(Thread.currentThread().isVirtual() ? "virtual" : "platform");
    try {
      messages.add(message);
      behaviour.onMessage(this, message);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  @Override
  public ErrorAction onError(Throwable error) {
    errors.add(error);
    return errorAction;
  }

  @Override
  public boolean onTimeout() {
    timeouts.incrementAndGet();
    return closeOnTimeout;
  }

  @Override
  public void onClose(CloseStatus status) {
    closes.incrementAndGet();
    closedWith.complete(status);
  }
}
