package io.servicekit.jetty;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Scheduler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A total deadline for a request head on HTTP/1.x: from the first byte of a request to the end of
 * its headers. The connector's idle timeout restarts on every byte, so a client sending one header
 * line a second would otherwise hold a connection (and its buffers) forever; Jetty 12 core has no
 * such deadline of its own ({@code HttpConfiguration.setMinRequestDataRate} is not enforced by the
 * core HTTP/1 connection).
 *
 * <p>The connector's end points watch their reads: the first bytes read while the connection waits
 * for a request head arm a timer; the request reaching the handler tree ({@link #marker}) disarms
 * it; the request completing on a connection that is still HTTP/1 makes it wait for the next head
 * again. When the timer fires first, the client gets <b>408</b> {@code request header timeout:
 * headers not complete within <d> (headerTimeout)} with {@code Connection: close}, and the
 * connection is closed. Bytes that arrive while a request is handled (its body) and bytes of an
 * upgraded connection (WebSocket frames) are not watched. An idle keep-alive connection sends no
 * bytes and stays under the idle timeout alone.
 *
 * <p>On a TLS connector the decrypted end point is watched the same way ({@link #sslFactory}), so
 * the 408 goes out encrypted, and the TLS handshake must end within the same deadline. HTTP/2
 * connections (h2 and h2c) are not watched: their heads arrive in HEADERS frames, bounded by
 * Jetty's HTTP/2 limits and the idle timeout.
 */
final class HeaderDeadline {
  private static final Logger LOG = LoggerFactory.getLogger(HeaderDeadline.class);

  private HeaderDeadline() {}

  /** A connector whose end points enforce {@code timeout} on request heads. */
  static ServerConnector connector(
      Server server, Duration timeout, ConnectionFactory... factories) {
    long nanos = timeout.toNanos();
    String text = text(timeout);
    return new ServerConnector(server, factories) {
      @Override
      protected SocketChannelEndPoint newEndPoint(
          SocketChannel channel, ManagedSelector selector, SelectionKey key) {
        Watched endPoint = new Watched(channel, selector, key, getScheduler(), nanos, text);
        endPoint.setIdleTimeout(getIdleTimeout());
        return endPoint;
      }
    };
  }

  /**
   * A TLS connection factory whose decrypted end points enforce {@code timeout} on request heads
   * (the encrypted socket end point below sees only TLS records). The TLS handshake gets the same
   * deadline, counted from the connection's accept: a connection still handshaking then is closed.
   */
  static SslConnectionFactory sslFactory(
      SslContextFactory.Server ssl, String next, Duration timeout) {
    return new WatchingSslFactory(ssl, next, timeout.toNanos(), text(timeout));
  }

  /** The outermost handler: tells the end point that a head is complete, and when it is served. */
  static Handler marker(Handler next) {
    return new Handler.Wrapper(next) {
      @Override
      public boolean handle(Request request, Response response, Callback callback)
          throws Exception {
        if (!(request.getConnectionMetaData().getConnection().getEndPoint()
            instanceof Watching watching)) {
          return super.handle(request, response, callback);
        }
        HeadWatch w = watching.headWatch();
        w.headReceived();
        Callback done =
            new Callback.Nested(callback) {
              @Override
              public void succeeded() {
                w.requestDone();
                super.succeeded();
              }

              @Override
              public void failed(Throwable x) {
                w.requestDone();
                super.failed(x);
              }
            };
        boolean handled;
        try {
          handled = super.handle(request, response, done);
        } catch (Throwable t) {
          w.requestDone();
          throw t;
        }
        if (!handled) {
          w.requestDone();
        }
        return handled;
      }
    };
  }

  private static String text(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  /** An end point that times the request heads read through it. */
  interface Watching {
    HeadWatch headWatch();
  }

  /** A plain socket end point that times the request head it reads. */
  static final class Watched extends SocketChannelEndPoint implements Watching {
    private final HeadWatch watch;

    Watched(
        SocketChannel channel,
        ManagedSelector selector,
        SelectionKey key,
        Scheduler scheduler,
        long nanos,
        String text) {
      super(channel, selector, key, scheduler);
      this.watch = new HeadWatch(this, scheduler, nanos, text);
    }

    @Override
    public int fill(ByteBuffer buffer) throws IOException {
      int n = super.fill(buffer);
      watch.filled(n);
      return n;
    }

    @Override
    public HeadWatch headWatch() {
      return watch;
    }
  }

  /** Makes TLS connections whose decrypted end point is watched. */
  private static final class WatchingSslFactory extends SslConnectionFactory {
    private final long nanos;
    private final String text;

    WatchingSslFactory(SslContextFactory.Server ssl, String next, long nanos, String text) {
      super(ssl, next);
      this.nanos = nanos;
      this.text = text;
    }

    @Override
    protected SslConnection newSslConnection(
        Connector connector, EndPoint endPoint, SSLEngine engine) {
      Scheduler scheduler = connector.getScheduler();
      SslConnection connection = newWatchedSslConnection(connector, endPoint, engine, scheduler);
      handshakeDeadline(connection, endPoint, scheduler);
      return connection;
    }

    /**
     * Closes {@code endPoint} unless its TLS handshake ends (either way) within the deadline: the
     * idle timeout restarts on every byte, so a client trickling its ClientHello would otherwise
     * hold the connection for as long as it likes. The timer is cancelled when the handshake ends
     * or the connection closes, so it keeps nothing reachable.
     */
    private void handshakeDeadline(
        SslConnection connection, EndPoint endPoint, Scheduler scheduler) {
      Scheduler.Task task =
          scheduler.schedule(
              () ->
                  endPoint.close(
                      new java.util.concurrent.TimeoutException(
                          "TLS handshake not complete within " + text + " (headerTimeout)")),
              nanos,
              TimeUnit.NANOSECONDS);
      connection.addHandshakeListener(
          new org.eclipse.jetty.io.ssl.SslHandshakeListener() {
            @Override
            public void handshakeSucceeded(Event event) {
              task.cancel();
            }

            @Override
            public void handshakeFailed(Event event, Throwable failure) {
              task.cancel();
            }
          });
      connection.addEventListener(
          new org.eclipse.jetty.io.Connection.Listener() {
            @Override
            public void onClosed(org.eclipse.jetty.io.Connection c) {
              task.cancel();
            }
          });
    }

    private SslConnection newWatchedSslConnection(
        Connector connector, EndPoint endPoint, SSLEngine engine, Scheduler scheduler) {
      return new SslConnection(
          connector.getByteBufferPool(),
          connector.getExecutor(),
          getSslContextFactory(),
          endPoint,
          engine,
          isDirectBuffersForEncryption(),
          isDirectBuffersForDecryption()) {
        @Override
        protected SslEndPoint newSslEndPoint() {
          return new WatchedSsl(this);
        }

        final class WatchedSsl extends SslEndPoint implements Watching {
          // Made on first use: the connection's super constructor makes this end point before the
          // connection's own state is set.
          private final AtomicReference<HeadWatch> watch = new AtomicReference<>();

          WatchedSsl(SslConnection outer) {
            outer.super();
          }

          @Override
          public int fill(ByteBuffer buffer) throws IOException {
            int n = super.fill(buffer);
            headWatch().filled(n);
            return n;
          }

          @Override
          public HeadWatch headWatch() {
            HeadWatch w = watch.get();
            if (w != null) {
              return w;
            }
            HeadWatch fresh = new HeadWatch(this, scheduler, nanos, text);
            HeadWatch raced = watch.compareAndExchange(null, fresh);
            return raced != null ? raced : fresh;
          }
        }
      };
    }
  }

  /** The head timer of one end point. */
  static final class HeadWatch {
    private static final int WAITING = 0; // for the first byte of a head
    private static final int HEAD = 1; // head bytes arrived, timer armed
    private static final int HANDLING = 2; // a request is being served
    private static final int UPGRADED = 3; // not HTTP/1 any more: nothing to watch
    private static final int EXPIRED = 4;

    private final EndPoint endPoint;
    private final Scheduler scheduler;
    private final long nanos;
    private final String text;
    private final AtomicInteger state = new AtomicInteger(WAITING);
    private volatile Scheduler.@Nullable Task timer;

    HeadWatch(EndPoint endPoint, Scheduler scheduler, long nanos, String text) {
      this.endPoint = endPoint;
      this.scheduler = scheduler;
      this.nanos = nanos;
      this.text = text;
    }

    /** An HTTP/1 connection reads request heads; anything else (h2, WebSocket, TLS) does not. */
    private boolean http1() {
      return endPoint.getConnection() instanceof ConnectionMetaData;
    }

    void filled(int n) {
      if (n > 0 && state.get() == WAITING) {
        if (!http1()) {
          state.set(UPGRADED);
        } else if (state.compareAndSet(WAITING, HEAD)) {
          timer = scheduler.schedule(this::expire, nanos, TimeUnit.NANOSECONDS);
          if (state.get() != HEAD) { // the head completed while arming
            cancelTimer();
          }
        }
      }
    }

    void headReceived() {
      int s = state.get();
      if (s == HEAD || s == WAITING) {
        if (state.compareAndSet(s, HANDLING) && s == HEAD) {
          cancelTimer();
        }
      }
    }

    void requestDone() {
      // A WebSocket upgrade replaced the HTTP connection: its frames are not request heads.
      state.compareAndSet(HANDLING, http1() ? WAITING : UPGRADED);
    }

    private void cancelTimer() {
      Scheduler.Task t = timer;
      if (t != null) {
        t.cancel();
      }
    }

    private void expire() {
      if (!http1()) {
        // HTTP/1 gave way to another protocol without a request reaching the handlers (the h2c
        // prior-knowledge preface): its bytes are frames, not a head.
        state.compareAndSet(HEAD, UPGRADED);
        return;
      }
      if (!state.compareAndSet(HEAD, EXPIRED)) {
        return;
      }
      LOG.atDebug()
          .setMessage("request header timeout")
          .addKeyValue("remote", endPoint.getRemoteSocketAddress())
          .addKeyValue("headerTimeout", text)
          .log();
      byte[] body =
          ("request header timeout: headers not complete within " + text + " (headerTimeout)\n")
              .getBytes(StandardCharsets.UTF_8);
      byte[] head =
          ("HTTP/1.1 408 Request Timeout\r\n"
                  + "Content-Type: text/plain;charset=utf-8\r\n"
                  + "Content-Length: "
                  + body.length
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      EndPoint self = endPoint;
      self.write(
          Callback.from(self::close, x -> self.close(x)),
          ByteBuffer.wrap(head),
          ByteBuffer.wrap(body));
    }
  }
}
