package io.servicekit.examples;

import io.servicekit.CloseException;
import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.Hub;
import io.servicekit.JsonCodec;
import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.jetty.ServiceKitServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * README "Common Patterns → Hub Pattern for Broadcasting" in Java: a central hub that knows every
 * client; what one client sends goes to all the others, and the server can broadcast to everyone.
 *
 * <pre>{@code
 * HubPatternExample app = new HubPatternExample();
 * try (ServiceKitServer server = app.server(8080, WsConfig.defaults()).start()) {
 *   app.broadcast(Map.of("type", "notice", "text", "maintenance at noon"));
 *   server.join();
 * }
 * }</pre>
 *
 * <p>What differs from the Go sample, and why:
 *
 * <ul>
 *   <li>The hand-written hub (a map owned by one goroutine fed by {@code register}, {@code
 *       unregister} and {@code broadcast} channels) is the library's {@link Hub}: thread-safe
 *       without a dispatcher goroutine, and registration is tied to the connection's lifecycle
 *       ({@link Hub#register} in {@code onStart}; the client leaves by itself when it closes), so
 *       there is no {@code unregister} to forget.
 *   <li>In Go, {@code client.send <- message} blocks the hub's only goroutine as soon as one
 *       client's buffer is full: one slow client stops every broadcast, registration and
 *       unregistration. {@link Hub#broadcast} queues to each client without blocking; a client that
 *       cannot keep up is dealt with by its own slow-consumer policy (closed with 1008 by default).
 *   <li>The message is encoded once for all clients instead of once per client.
 *   <li>A client's message is relayed to the others ({@link Hub#broadcast(Object, String)} with the
 *       sender excluded); the Go hub has no notion of a sender.
 * </ul>
 */
public final class HubPatternExample {
  private static final Logger LOG = LoggerFactory.getLogger(HubPatternExample.class);

  /** The endpoint's path. */
  public static final String PATH = "/hub";

  private final Hub<Object> hub = new Hub<>();

  /** A hub with no clients yet. */
  public HubPatternExample() {}

  /** A client of the hub: relays what it receives to every other client. */
  public static final class Client implements WsListener<Object, Object> {
    @Override
    public Codec<Object, Object> codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "HubClient";
    }

    private final Hub<Object> hub;

    Client(Hub<Object> hub) {
      this.hub = hub;
    }

    @Override
    public void onOpen(WsSession<Object> session) {
      if (!hub.register(session)) {
        throw new CloseException(CloseStatus.TRY_AGAIN_LATER, "hub unavailable");
      }
    }

    @Override
    public void onMessage(WsSession<Object> session, Object message) {
      int sent = hub.broadcast(message, session.id());
      LOG.debug("{}: relayed to {} clients", this, sent);
    }
  }

  /** Creates a hub client for every request. */
  public WsHandler<Object, Object> handler() {
    return request -> new Client(hub);
  }

  /** Sends {@code message} to every client; returns how many queued it. Never blocks. */
  public int broadcast(Object message) {
    return hub.broadcast(message);
  }

  /** Clients connected now. */
  public int clients() {
    return hub.size();
  }

  /** A server with the hub endpoint at {@link #PATH}; not started. */
  public ServiceKitServer server(int port, WsConfig config) {
    return ServiceKitServer.builder().port(port).ws(PATH, handler(), config).build();
  }
}
