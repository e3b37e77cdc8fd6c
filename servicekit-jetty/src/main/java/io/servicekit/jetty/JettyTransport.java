package io.servicekit.jetty;

import io.servicekit.WsConfig;
import io.servicekit.WsSession;
import io.servicekit.spi.Transport;
import io.servicekit.spi.WsDriver;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.jspecify.annotations.Nullable;

/**
 * Adapts a Jetty WebSocket {@link Session} to ServiceKit's {@link Transport} and reports Jetty's
 * events to the connection's {@link WsDriver}. Not part of the API, but a public class in an
 * exported package: Jetty 12 looks up its listener methods with {@code
 * MethodHandles.publicLookup()}, which reaches only packages exported to everyone (a qualified
 * export fails the upgrade on the module path; {@code ModulePathTest} runs it). Its constructors
 * are package-private. Uses explicit demand: Jetty delivers the next event only after {@link
 * #demand()}, so a busy connection pushes back on its peer's TCP window.
 */
public final class JettyTransport implements Session.Listener, Transport {
  private final WsDriver connection;
  private final WsConfig config;
  private final Observer observer;
  private final java.util.function.Consumer<WsDriver> afterOpen;

  // set by onWebSocketOpen, which Jetty calls before any other event
  @SuppressWarnings("NullAway.Init")
  private volatile Session session;

  JettyTransport(WsDriver connection, WsConfig config) {
    this(connection, config, Observer.NONE);
  }

  JettyTransport(WsDriver connection, WsConfig config, Observer observer) {
    this(connection, config, observer, c -> {});
  }

  JettyTransport(
      WsDriver connection,
      WsConfig config,
      Observer observer,
      java.util.function.Consumer<WsDriver> afterOpen) {
    this.connection = connection;
    this.config = config;
    this.observer = observer;
    this.afterOpen = afterOpen;
  }

  /** Sees the traffic of one connection (for metrics); calls must not block. */
  public interface Observer {
    /** Observes nothing. */
    Observer NONE = new Observer() {};

    /** The connection opened: {@code session} is the application's view of it. */
    default void opened(WsSession<?> session) {}

    /** A data message of {@code bytes} arrived. */
    default void received(long bytes) {}

    /** A data message of {@code bytes} was written. */
    default void sent(long bytes) {}

    /** The transport reported an error. */
    default void transportError(Throwable cause) {}
  }

  // ------------------------------------------------------------------ Jetty events

  @Override
  public void onWebSocketOpen(Session session) {
    this.session = session;
    session.setMaxTextMessageSize(config.maxMessageSize());
    session.setMaxBinaryMessageSize(config.maxMessageSize());
    session.setInputBufferSize(config.readBufferSize());
    session.setOutputBufferSize(config.writeBufferSize());
    // ServiceKit owns liveness (heartbeat, pong period, write timeout); Jetty's idle timeout is a
    // backstop for a peer that stops answering at the TCP level, set beyond the heartbeat so that
    // it never fires while pings flow.
    session.setIdleTimeout(
        config.pingPeriod().plus(config.pongPeriod()).plus(Duration.ofSeconds(30)));
    observer.opened(connection.session());
    connection.open(this);
    afterOpen.accept(connection);
  }

  @Override
  public void onWebSocketText(String message) {
    if (observer != Observer.NONE) {
      observer.received(utf8Length(message));
    }
    connection.onText(message);
  }

  @Override
  public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
    byte[] bytes = new byte[payload.remaining()];
    payload.get(bytes);
    callback.succeed();
    observer.received(bytes.length);
    connection.onBinary(bytes);
  }

  @Override
  public void onWebSocketPing(ByteBuffer payload) {
    connection.onControlFrame();
    ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).put(payload).flip();
    // Read on only once the pong is written: a peer that floods pings without reading the pongs
    // is then held back by TCP instead of making the server queue pongs without bound. (Jetty's
    // own auto-pong, which a ping listener replaces, backs off the same way.) A failed write ends
    // the connection, so there is nothing more to demand.
    session.sendPong(copy, Callback.from(session::demand, failure -> {}));
  }

  @Override
  public void onWebSocketPong(ByteBuffer payload) {
    connection.onControlFrame();
    session.demand();
  }

  @Override
  public void onWebSocketError(Throwable cause) {
    observer.transportError(cause);
    connection.onTransportError(cause);
  }

  @Override
  public void onWebSocketClose(int statusCode, String reason, Callback callback) {
    callback.succeed();
    connection.onClosed(statusCode, reason);
  }

  // ------------------------------------------------------------------ Transport

  @Override
  public void sendText(String text, WriteCallback callback) {
    session.sendText(
        text,
        observer == Observer.NONE
            ? adapt(callback)
            : new Adapted(counted(callback, utf8Length(text))));
  }

  @Override
  public void sendBinary(byte[] bytes, WriteCallback callback) {
    session.sendBinary(
        ByteBuffer.wrap(bytes),
        observer == Observer.NONE ? adapt(callback) : new Adapted(counted(callback, bytes.length)));
  }

  private WriteCallback counted(WriteCallback callback, long bytes) {
    return new WriteCallback() {
      @Override
      public void succeeded() {
        observer.sent(bytes);
        callback.succeeded();
      }

      @Override
      public void failed(Throwable cause) {
        callback.failed(cause);
      }
    };
  }

  private static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  @Override
  public void sendClose(int code, String reason, WriteCallback callback) {
    session.close(code, reason, adapt(callback));
  }

  @Override
  public void abort() {
    Session s = session;
    if (s != null) {
      s.disconnect();
    }
  }

  @Override
  public void demand() {
    session.demand();
  }

  // The write queue hands the same completion object to every write of a connection: adapt it
  // once instead of allocating a Jetty callback per frame. (A counted write wraps the completion
  // anew each time, so it is adapted directly and does not churn this cache.) The adapter is
  // itself the Jetty callback, so the cache costs no extra object on the write path; the field is
  // plain because the adapter is immutable (final fields) and any thread may rebuild it.
  private static final class Adapted implements Callback {
    private final WriteCallback from;

    Adapted(WriteCallback from) {
      this.from = from;
    }

    @Override
    public void succeed() {
      from.succeeded();
    }

    @Override
    public void fail(Throwable x) {
      from.failed(x);
    }
  }

  private @Nullable Adapted lastAdapted;

  private Callback adapt(WriteCallback callback) {
    Adapted last = lastAdapted;
    if (last != null && last.from == callback) {
      return last;
    }
    Adapted adapted = new Adapted(callback);
    lastAdapted = adapted;
    return adapted;
  }
}
