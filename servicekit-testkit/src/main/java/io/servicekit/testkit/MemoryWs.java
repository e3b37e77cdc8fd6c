package io.servicekit.testkit;

import io.servicekit.CloseStatus;
import io.servicekit.spi.Transport;
import io.servicekit.spi.WsDriver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An in-memory WebSocket {@link Transport} with a scripted peer, for driving a {@link WsDriver}
 * without a socket. It records every frame the connection writes ({@link #sent()}), lets the test
 * hold writes and complete or fail them one by one (a peer that stops reading), and delivers the
 * peer's text, binary, ping, pong and close, or drops the connection.
 *
 * <p>Like a real binding it delivers one inbound message per {@link #demand()}: messages the peer
 * sends before the connection asks wait in order. By default the peer answers the connection's
 * close frame as soon as it is written; {@link #ignoreCloses()} models a peer that never answers.
 * {@link #abort()} reports the end at once, as Jetty does.
 *
 * <p>Pair it with {@link VirtualScheduler}: the connection's callbacks then run only inside {@code
 * runUntilIdle()} or {@code advanceBy(...)}, on the test's thread. Thread-safe, but meant for one
 * test thread.
 */
public final class MemoryWs implements Transport {
  /** One frame the connection wrote. */
  public sealed interface Sent {
    /** A text message. */
    record Text(String text) implements Sent {}

    /** A binary message. */
    record Binary(byte[] bytes) implements Sent {
      /** The bytes as UTF-8 text, for assertions. */
      public String utf8() {
        return new String(bytes, StandardCharsets.UTF_8);
      }
    }

    /** A close frame. */
    record Close(int code, String reason) implements Sent {}
  }

  private final WsDriver connection;
  private final List<Sent> sent = new ArrayList<>();
  private final ArrayDeque<Transport.WriteCallback> held = new ArrayDeque<>();
  private final ArrayDeque<Runnable> inbound = new ArrayDeque<>();
  private int credit; // demands not yet used by an inbound message
  private int demands;
  private int aborts;
  private boolean hold;
  private boolean answerCloses = true;
  private boolean ended;

  /** A transport for {@code connection}; pass it to {@code connection.open(...)}. */
  public MemoryWs(WsDriver connection) {
    this.connection = Objects.requireNonNull(connection, "connection");
  }

  // ------------------------------------------------------------------ test controls

  /** From now on, writes stay pending until {@link #completeWrite} or {@link #failWrite}. */
  public synchronized MemoryWs holdWrites() {
    hold = true;
    return this;
  }

  /** The peer never answers a close frame (the connection's close timer must end it). */
  public synchronized MemoryWs ignoreCloses() {
    answerCloses = false;
    return this;
  }

  /** Writes waiting for {@link #completeWrite} or {@link #failWrite}. */
  public synchronized int heldWrites() {
    return held.size();
  }

  /**
   * Completes the oldest held write.
   *
   * @throws IllegalStateException if no write is held
   */
  public void completeWrite() {
    nextHeld().succeeded();
  }

  /** Stops holding and completes every held write, oldest first. */
  public void completeAllWrites() {
    List<Transport.WriteCallback> all;
    synchronized (this) {
      hold = false;
      all = new ArrayList<>(held);
      held.clear();
    }
    all.forEach(Transport.WriteCallback::succeeded);
  }

  /**
   * Fails the oldest held write with {@code cause}.
   *
   * @throws IllegalStateException if no write is held
   */
  public void failWrite(Throwable cause) {
    nextHeld().failed(cause);
  }

  private synchronized Transport.WriteCallback nextHeld() {
    Transport.WriteCallback cb = held.pollFirst();
    if (cb == null) {
      throw new IllegalStateException("no write is held (" + sent.size() + " frames sent)");
    }
    return cb;
  }

  /** The peer sends a text message (delivered on the connection's next demand). */
  public void peerText(String text) {
    Objects.requireNonNull(text, "text");
    inbound(() -> connection.onText(text));
  }

  /** The peer sends a binary message (delivered on the connection's next demand). */
  public void peerBinary(byte[] bytes) {
    byte[] copy = bytes.clone();
    inbound(() -> connection.onBinary(copy));
  }

  /** The peer sends a ping (control frames are not subject to demand). */
  public void peerPing() {
    connection.onControlFrame();
  }

  /** The peer sends a pong. */
  public void peerPong() {
    connection.onControlFrame();
  }

  /**
   * The peer's close frame arrives; the binding answers it and reports the end with the peer's
   * status.
   */
  public void peerClose(int code, String reason) {
    if (markEnded()) {
      connection.onClosed(code, reason);
    }
  }

  /** The connection drops under both sides (no close frame): an error, then the end (1006). */
  public void drop() {
    if (markEnded()) {
      connection.onTransportError(new java.io.IOException("connection dropped"));
      connection.onClosed(CloseStatus.ABNORMAL, "connection dropped");
    }
  }

  private synchronized boolean markEnded() {
    if (ended) {
      return false;
    }
    ended = true;
    return true;
  }

  private void inbound(Runnable delivery) {
    Runnable now = null;
    synchronized (this) {
      if (ended) {
        throw new IllegalStateException("the connection has ended");
      }
      if (credit > 0 && inbound.isEmpty()) {
        credit--;
        now = delivery;
      } else {
        inbound.addLast(delivery);
      }
    }
    if (now != null) {
      now.run();
    }
  }

  // ------------------------------------------------------------------ what happened

  /** Every frame the connection wrote, in order (held ones too). */
  public synchronized List<Sent> sent() {
    return List.copyOf(sent);
  }

  /** The text messages written, in order. */
  public synchronized List<String> sentTexts() {
    return sent.stream()
        .filter(s -> s instanceof Sent.Text)
        .map(s -> ((Sent.Text) s).text())
        .toList();
  }

  /** The close frame written, if any. */
  public synchronized Optional<Sent.Close> sentClose() {
    return sent.stream().filter(s -> s instanceof Sent.Close).map(s -> (Sent.Close) s).findFirst();
  }

  /** How many times the connection called {@link #demand()}. */
  public synchronized int demands() {
    return demands;
  }

  /** How many times the connection called {@link #abort()}. */
  public synchronized int aborts() {
    return aborts;
  }

  /** Peer messages waiting for a demand. */
  public synchronized int undelivered() {
    return inbound.size();
  }

  /** Whether the transport has reported the end to the connection. */
  public synchronized boolean ended() {
    return ended;
  }

  // ------------------------------------------------------------------ Transport

  @Override
  public void sendText(String text, WriteCallback callback) {
    write(new Sent.Text(text), callback);
  }

  @Override
  public void sendBinary(byte[] bytes, WriteCallback callback) {
    write(new Sent.Binary(bytes.clone()), callback);
  }

  @Override
  public void sendClose(int code, String reason, WriteCallback callback) {
    write(
        new Sent.Close(code, reason),
        new WriteCallback() {
          @Override
          public void succeeded() {
            callback.succeeded();
            boolean answer;
            synchronized (MemoryWs.this) {
              answer = answerCloses;
            }
            if (answer && markEnded()) {
              connection.onClosed(code, reason); // the peer echoes the close frame
            }
          }

          @Override
          public void failed(Throwable cause) {
            callback.failed(cause);
          }
        });
  }

  private void write(Sent frame, WriteCallback callback) {
    boolean complete;
    synchronized (this) {
      sent.add(frame);
      complete = !hold;
      if (!complete) {
        held.addLast(callback);
      }
    }
    if (complete) {
      callback.succeeded();
    }
  }

  @Override
  public void abort() {
    List<WriteCallback> failed;
    synchronized (this) {
      aborts++;
      failed = new ArrayList<>(held);
      held.clear();
    }
    if (markEnded()) {
      connection.onClosed(CloseStatus.ABNORMAL, "aborted");
    }
    java.io.IOException cause = new java.io.IOException("aborted");
    failed.forEach(cb -> cb.failed(cause));
  }

  @Override
  public void demand() {
    Runnable next;
    synchronized (this) {
      demands++;
      next = inbound.pollFirst();
      if (next == null) {
        credit++;
        return;
      }
    }
    next.run();
  }
}
