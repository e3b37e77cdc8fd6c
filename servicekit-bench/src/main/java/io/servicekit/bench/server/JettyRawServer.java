package io.servicekit.bench.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;

/**
 * The floor: a plain Jetty 12 WebSocket server with the same endpoints as {@link
 * ServiceKitBenchServer} and nothing else — Jetty's default thread pool, auto-demanding listeners,
 * {@code sendText} straight from the read callback, a plain loop over the sessions for broadcast.
 * The session idle timeout is raised to 10 minutes (Jetty's default 30 s would close idle
 * connections during the memory test). {@code /json} is served by the raw echo (no JSON here).
 *
 * <p>{@code /sse} is a plain Jetty {@link Handler} ({@link RawSse}): it commits a {@code
 * text/event-stream} response and keeps it open; a {@code publish} command on the control channel
 * frames the text once as {@code data: <text>\n\n} and writes it to every open stream. The
 * connector's idle timeout is raised to 10 minutes too (the streams carry no keepalives).
 */
public final class JettyRawServer {
  private JettyRawServer() {}

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    connector.setIdleTimeout(Duration.ofMinutes(10).toMillis());
    server.addConnector(connector);
    ContextHandler context = new ContextHandler("/");
    Set<Session> subscribers = ConcurrentHashMap.newKeySet();
    WebSocketUpgradeHandler ws =
        WebSocketUpgradeHandler.from(
            server,
            context,
            container -> {
              container.setIdleTimeout(Duration.ofMinutes(10));
              container.addMapping("/echo", (rq, rs, cb) -> new Echo());
              container.addMapping("/json", (rq, rs, cb) -> new Echo());
              container.addMapping("/broadcast", (rq, rs, cb) -> new Broadcast(subscribers));
            });
    RawSse sse = new RawSse();
    ws.setHandler(sse); // requests that are not WebSocket upgrades
    context.setHandler(ws);
    server.setHandler(context);
    server.start();
    ServerControl.serve(
        connector.getLocalPort(),
        () -> {
          try {
            server.stop();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        },
        sse::broadcast);
  }

  /**
   * Server-Sent Events on {@code /sse} with nothing on top: every stream is a committed response
   * kept open; a broadcast is a loop writing the same framed bytes to each. Jetty allows one
   * outstanding {@code Response.write} per response, so each stream queues what arrives while a
   * write is in flight and writes it from the completion callback.
   */
  public static final class RawSse extends Handler.Abstract {
    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();

    @Override
    public boolean handle(Request request, Response response, org.eclipse.jetty.util.Callback cb) {
      if (!"/sse".equals(Request.getPathInContext(request))) {
        return false;
      }
      response.setStatus(HttpStatus.OK_200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
      Stream stream = new Stream(response, cb);
      streams.add(stream);
      request.addFailureListener(stream::failed);
      response.write(false, BufferUtil.EMPTY_BUFFER, stream); // commits the headers
      return true;
    }

    /** Writes {@code data: text\n\n} to every open stream. */
    public void broadcast(String text) {
      byte[] framed = ("data: " + text + "\n\n").getBytes(StandardCharsets.UTF_8);
      for (Stream s : streams) {
        s.send(ByteBuffer.wrap(framed));
      }
    }

    /** Streams now open (those whose client went away leave when a write to them fails). */
    public int size() {
      return streams.size();
    }

    /** One open stream; its own callback for the write in flight. */
    private final class Stream implements org.eclipse.jetty.util.Callback {
      private final Response response;
      private final org.eclipse.jetty.util.Callback done;
      private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>(); // guarded by this
      private boolean writing = true; // guarded by this; the header write is first
      private boolean closed; // guarded by this

      Stream(Response response, org.eclipse.jetty.util.Callback done) {
        this.response = response;
        this.done = done;
      }

      void send(ByteBuffer bytes) {
        synchronized (this) {
          if (closed) {
            return;
          }
          if (writing) {
            queue.add(bytes);
            return;
          }
          writing = true;
        }
        response.write(false, bytes, this);
      }

      @Override
      public void succeeded() {
        ByteBuffer next;
        synchronized (this) {
          next = queue.poll();
          if (next == null || closed) {
            writing = false;
            return;
          }
        }
        response.write(false, next, this);
      }

      @Override
      public void failed(Throwable x) {
        synchronized (this) {
          if (closed) {
            return;
          }
          closed = true;
          queue.clear();
        }
        streams.remove(this);
        done.failed(x);
      }
    }
  }

  /** Sends every text message back. */
  public static final class Echo implements Session.Listener.AutoDemanding {
    private volatile Session session;

    @Override
    public void onWebSocketOpen(Session session) {
      this.session = session;
    }

    @Override
    public void onWebSocketText(String message) {
      session.sendText(message, Callback.NOOP);
    }
  }

  /** Sends every text message to all open sessions of the endpoint. */
  public static final class Broadcast implements Session.Listener.AutoDemanding {
    private final Set<Session> subscribers;
    private volatile Session session;

    Broadcast(Set<Session> subscribers) {
      this.subscribers = subscribers;
    }

    @Override
    public void onWebSocketOpen(Session session) {
      this.session = session;
      subscribers.add(session);
    }

    @Override
    public void onWebSocketText(String message) {
      if (message.equals(ServerControl.FILL_REQUEST)) {
        for (int i = 0; i < ServerControl.FILL_CHUNKS; i++) {
          session.sendText(ServerControl.FILL_CHUNK, Callback.NOOP);
        }
        return;
      }
      for (Session s : subscribers) {
        s.sendText(message, Callback.NOOP);
      }
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason, Callback callback) {
      subscribers.remove(session);
      callback.succeed();
    }
  }
}
