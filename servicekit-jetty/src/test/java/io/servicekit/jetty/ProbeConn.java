package io.servicekit.jetty;

import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.ErrorAction;
import io.servicekit.JsonCodec;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** A JSON listener that records every callback; by default it echoes what it receives. */
class ProbeConn implements WsListener<Object, Object> {
  /** What {@link #onMessage} does after recording the message. */
  interface Behaviour {
    void onMessage(WsSession<Object> session, Object message) throws Exception;
  }

  final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
  final List<Throwable> errors = new CopyOnWriteArrayList<>();
  final List<String> callbackThreads = new CopyOnWriteArrayList<>();
  final AtomicInteger starts = new AtomicInteger();
  final AtomicInteger closes = new AtomicInteger();
  final AtomicInteger timeouts = new AtomicInteger();
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger maxInFlight = new AtomicInteger();
  final AtomicLong lastPingId = new AtomicLong();
  final CompletableFuture<WsSession<Object>> opened = new CompletableFuture<>();
  final CompletableFuture<CloseStatus> closedWith = new CompletableFuture<>();
  volatile Behaviour behaviour = (s, m) -> s.send(m);
  volatile ErrorAction errorAction = ErrorAction.CLOSE;
  volatile boolean closeOnTimeout = true;
  volatile Exception failOnStart;

  @Override
  public Codec<Object, Object> codec() {
    return JsonCodec.INSTANCE;
  }

  @Override
  public String name() {
    return "Probe";
  }

  /** The session, once {@code onOpen} has run (it is set before anything else happens). */
  WsSession<Object> session() {
    return opened.getNow(null);
  }

  @Override
  public void onOpen(WsSession<Object> session) throws Exception {
    opened.complete(session);
    starts.incrementAndGet();
    if (failOnStart != null) {
      throw failOnStart;
    }
  }

  @Override
  public void onMessage(WsSession<Object> session, Object message) throws Exception {
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    callbackThreads.add(Thread.currentThread().isVirtual() ? "virtual" : "platform");
    try {
      messages.add(message);
      behaviour.onMessage(session, message);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  @Override
  public ErrorAction onError(WsSession<Object> session, Throwable error) {
    errors.add(error);
    return errorAction;
  }

  @Override
  public boolean onTimeout(WsSession<Object> session) {
    timeouts.incrementAndGet();
    return closeOnTimeout;
  }

  @Override
  public void onHeartbeat(WsSession<Object> session, long pingId) {
    lastPingId.set(pingId);
    WsListener.super.onHeartbeat(session, pingId);
  }

  @Override
  public void onClose(WsSession<Object> session, CloseStatus status) {
    closes.incrementAndGet();
    closedWith.complete(status);
  }
}
