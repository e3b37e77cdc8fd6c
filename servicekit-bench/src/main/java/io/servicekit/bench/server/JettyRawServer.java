package io.servicekit.bench.server;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;

/**
 * The floor: a plain Jetty 12 WebSocket server with the same endpoints as {@link
 * ServiceKitBenchServer} and nothing else — Jetty's default thread pool, auto-demanding listeners,
 * {@code sendText} straight from the read callback, a plain loop over the sessions for broadcast.
 * The session idle timeout is raised to 10 minutes (Jetty's default 30 s would close idle
 * connections during the memory test). {@code /json} is served by the raw echo (no JSON here).
 */
public final class JettyRawServer {
  private JettyRawServer() {}

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
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
        });
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
