package io.servicekit.jetty;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
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
 */
final class HeaderDeadline {
  private static final Logger LOG = LoggerFactory.getLogger(HeaderDeadline.class);

  private HeaderDeadline() {}

  /** A connector whose end points enforce {@code timeout} on request heads. */
  static ServerConnector connector(Server server, Duration timeout) {
    long nanos = timeout.toNanos();
    String text = text(timeout);
    return new ServerConnector(server) {
      @Override
      protected SocketChannelEndPoint newEndPoint(
          SocketChannel channel, ManagedSelector selector, SelectionKey key) {
        Watched endPoint = new Watched(channel, selector, key, getScheduler(), nanos, text);
        endPoint.setIdleTimeout(getIdleTimeout());
        return endPoint;
      }
    };
  }

  /** The outermost handler: tells the end point that a head is complete, and when it is served. */
  static Handler marker(Handler next) {
    return new Handler.Wrapper(next) {
      @Override
      public boolean handle(Request request, Response response, Callback callback)
          throws Exception {
        if (!(request.getConnectionMetaData().getConnection().getEndPoint() instanceof Watched w)) {
          return super.handle(request, response, callback);
        }
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

  /** An end point that times the request head it reads. */
  static final class Watched extends SocketChannelEndPoint {
    private static final int WAITING = 0; // for the first byte of a head
    private static final int HEAD = 1; // head bytes arrived, timer armed
    private static final int HANDLING = 2; // a request is being served
    private static final int UPGRADED = 3; // not HTTP/1 any more: nothing to watch
    private static final int EXPIRED = 4;

    private final Scheduler scheduler;
    private final long nanos;
    private final String text;
    private final AtomicInteger state = new AtomicInteger(WAITING);
    private volatile Scheduler.Task timer;

    Watched(
        SocketChannel channel,
        ManagedSelector selector,
        SelectionKey key,
        Scheduler scheduler,
        long nanos,
        String text) {
      super(channel, selector, key, scheduler);
      this.scheduler = scheduler;
      this.nanos = nanos;
      this.text = text;
    }

    @Override
    public int fill(ByteBuffer buffer) throws IOException {
      int n = super.fill(buffer);
      if (n > 0 && state.get() == WAITING) {
        if (!(getConnection() instanceof ConnectionMetaData)) {
          state.set(UPGRADED);
        } else if (state.compareAndSet(WAITING, HEAD)) {
          timer = scheduler.schedule(this::expire, nanos, TimeUnit.NANOSECONDS);
          if (state.get() != HEAD) { // the head completed while arming
            cancelTimer();
          }
        }
      }
      return n;
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
      int next = getConnection() instanceof ConnectionMetaData ? WAITING : UPGRADED;
      state.compareAndSet(HANDLING, next);
    }

    private void cancelTimer() {
      Scheduler.Task t = timer;
      if (t != null) {
        t.cancel();
      }
    }

    private void expire() {
      if (!state.compareAndSet(HEAD, EXPIRED)) {
        return;
      }
      LOG.atDebug()
          .setMessage("request header timeout")
          .addKeyValue("remote", getRemoteSocketAddress())
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
      EndPoint self = this;
      write(
          Callback.from(self::close, x -> self.close(x)),
          ByteBuffer.wrap(head),
          ByteBuffer.wrap(body));
    }
  }
}
