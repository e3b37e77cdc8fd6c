package io.servicekit.netty.contract;

import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.Message;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw echo ({@link Codec#raw()}) that records what the contract asserts: the session, every
 * message, how many times {@code onClose} ran and with which status. {@link #behaviour} replaces
 * the echo.
 */
public final class Probe implements WsListener<Message, Message> {
  /** What a message does; the default echoes it. */
  @FunctionalInterface
  public interface Behaviour {
    void onMessage(WsSession<Message> session, Message message) throws Exception;
  }

  public final CompletableFuture<WsSession<Message>> opened = new CompletableFuture<>();
  public final CompletableFuture<CloseStatus> closedWith = new CompletableFuture<>();
  public final AtomicInteger closes = new AtomicInteger();
  public final List<Message> messages = new CopyOnWriteArrayList<>();
  public volatile Behaviour behaviour = (s, m) -> s.send(m);

  @Override
  public Codec<Message, Message> codec() {
    return Codec.raw();
  }

  @Override
  public String name() {
    return "Probe";
  }

  @Override
  public void onOpen(WsSession<Message> session) {
    opened.complete(session);
  }

  @Override
  public void onMessage(WsSession<Message> session, Message message) throws Exception {
    messages.add(message);
    behaviour.onMessage(session, message);
  }

  @Override
  public void onClose(WsSession<Message> session, CloseStatus status) {
    closes.incrementAndGet();
    closedWith.complete(status);
  }

  /** The session, once open (10 s at most). */
  public WsSession<Message> session() throws Exception {
    return opened.get(10, TimeUnit.SECONDS);
  }

  /** The status {@code onClose} saw (10 s at most). */
  public CloseStatus awaitClosed() throws Exception {
    return closedWith.get(10, TimeUnit.SECONDS);
  }
}
