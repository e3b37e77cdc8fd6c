package io.servicekit.examples;

import io.servicekit.CloseException;
import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.Hub;
import io.servicekit.HubStats;
import io.servicekit.JsonCodec;
import io.servicekit.Rejection;
import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.jetty.Responses;
import io.servicekit.jetty.ServiceKitServer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * README "Performance Optimization → Connection Pooling and Resource Management" in Java: a
 * connection limit, per-room broadcast and statistics.
 *
 * <pre>{@code
 * ConnectionManagerExample.ConnectionManager manager =
 *     new ConnectionManagerExample.ConnectionManager(10_000);
 * try (ServiceKitServer server =
 *     ConnectionManagerExample.server(8080, manager, WsConfig.defaults()).start()) {
 *   server.join(); // ws://localhost:8080/rooms/{roomId}, GET /stats
 * }
 * }</pre>
 *
 * <p>A client connects to {@code /rooms/{roomId}}, gets {@code {"type":"welcome","roomId":..,
 * "connId":..}} once it is counted, and every message it sends is relayed to the others in its
 * room. {@code GET /stats} answers {@code {"total_connections":n,"max_connections":m,"rooms":r}}.
 *
 * <p>What differs from the Go sample, and why:
 *
 * <ul>
 *   <li>The map, the mutex and the separate atomic counter become a {@link Hub} with a connection
 *       limit ({@link Hub#Hub(int)}), which also keeps the rooms: {@code BroadcastToRoom} no longer
 *       scans every connection under a read lock with a blocking send per member.
 *   <li>{@code AddConnection} returning {@code false} leaves the Go caller with an open socket and
 *       no policy. Here a full server refuses the handshake with 503 and {@code Retry-After} before
 *       upgrading; if connections race past that check, the authoritative count in {@link
 *       Hub#register} refuses the extra ones in {@code onStart}, closing with 1013 (try again
 *       later).
 *   <li>{@code RemoveConnection} is not needed: a member leaves the hub and its room by itself when
 *       it closes, whatever ends it, so a forgotten call cannot leak a slot.
 *   <li>{@code GetStats} reads the hub's counters (connections, limit, rooms) and is served as JSON
 *       on {@code GET /stats}.
 * </ul>
 */
public final class ConnectionManagerExample {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionManagerExample.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** The WebSocket endpoint's path template. */
  public static final String PATH = "/rooms/{roomId}";

  /** The statistics endpoint's path. */
  public static final String STATS_PATH = "/stats";

  private ConnectionManagerExample() {}

  /** Counts connections against a limit and groups them in rooms. Thread-safe. */
  public static final class ConnectionManager {
    private final int maxConns;
    private final Hub<Object> connections;

    /** A manager that admits at most {@code maxConns} connections at a time. */
    public ConnectionManager(int maxConns) {
      this.connections = new Hub<>(maxConns); // validates maxConns > 0
      this.maxConns = maxConns;
    }

    /**
     * Counts a started connection and puts it in its room; {@code false} if the limit is reached
     * (or the connection is no longer open). The connection is removed when it closes.
     */
    public boolean addConnection(WsSession<Object> conn, String roomId) {
      if (!connections.register(conn)) {
        LOG.info("Connection limit reached ({}), rejecting {}", maxConns, conn);
        return false;
      }
      return connections.join(conn, roomId);
    }

    /** Whether the limit is reached now (a hint: {@link #addConnection} decides). */
    public boolean isFull() {
      return connections.size() >= maxConns;
    }

    /** Sends {@code message} to everyone in {@code roomId}; returns how many queued it. */
    public int broadcastToRoom(String roomId, Object message) {
      return connections.broadcastToRoom(roomId, message);
    }

    /** Sends {@code message} to {@code roomId} except {@code excludeConnId}. */
    public int broadcastToRoom(String roomId, Object message, String excludeConnId) {
      return connections.broadcastToRoom(roomId, message, excludeConnId);
    }

    /** {@code total_connections}, {@code max_connections} and {@code rooms}. */
    public Map<String, Object> stats() {
      HubStats stats = connections.stats();
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("total_connections", stats.connections());
      out.put("max_connections", stats.maxConnections());
      out.put("rooms", stats.rooms());
      return out;
    }

    /** Refuses with 503 when full, else creates a connection for the path's {@code roomId}. */
    public WsHandler<Object, Object> handler() {
      return request -> {
        String roomId =
            Messages.requireName(request.pathParam("roomId"), "the room id in the path");
        if (isFull()) {
          throw Rejection.of(503, "connection limit reached (" + maxConns + ")")
              .header("Retry-After", "5");
        }
        return new ManagedConn(this, roomId);
      };
    }
  }

  /** A connection counted by a {@link ConnectionManager}, in one room. */
  public static final class ManagedConn implements WsListener<Object, Object> {
    @Override
    public Codec<Object, Object> codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "ManagedConn";
    }

    private final ConnectionManager manager;
    private final String roomId;

    ManagedConn(ConnectionManager manager, String roomId) {
      this.manager = manager;
      this.roomId = roomId;
    }

    /** The room this connection is in. */
    public String roomId() {
      return roomId;
    }

    @Override
    public void onOpen(WsSession<Object> session) {
      if (!manager.addConnection(session, roomId())) {
        throw new CloseException(
            CloseStatus.TRY_AGAIN_LATER, "connection limit reached (" + manager.maxConns + ")");
      }
      session.send(Map.of("type", "welcome", "roomId", roomId, "connId", session.id()));
    }

    /** Relays the message to the others in the room. */
    @Override
    public void onMessage(WsSession<Object> session, Object message) {
      manager.broadcastToRoom(roomId, message, session.id());
    }
  }

  /** Answers {@code GET} with the manager's {@link ConnectionManager#stats()} as JSON. */
  static final class StatsHandler extends Handler.Abstract.NonBlocking {
    private final ConnectionManager manager;

    StatsHandler(ConnectionManager manager) {
      this.manager = manager;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      if (!HttpMethod.GET.is(request.getMethod())) {
        Responses.text(
            response,
            callback,
            405,
            "method must be GET, was " + request.getMethod(),
            Map.of("Allow", "GET"));
        return true;
      }
      Responses.json(response, callback, 200, JSON.writeValueAsString(manager.stats()));
      return true;
    }
  }

  /**
   * A server with the room endpoint at {@link #PATH} and statistics at {@link #STATS_PATH}; not
   * started.
   */
  public static ServiceKitServer server(int port, ConnectionManager manager, WsConfig config) {
    return ServiceKitServer.builder()
        .port(port)
        .ws(PATH, manager.handler(), config)
        .route(STATS_PATH, new StatsHandler(manager))
        .build();
  }

  /** Runs the server on port 8080 with a limit of 10,000 until the process is stopped. */
  public static void main(String[] args) throws Exception {
    ConnectionManager manager = new ConnectionManager(10_000);
    try (ServiceKitServer server = server(8080, manager, WsConfig.defaults()).start()) {
      LOG.info(
          "Listening on {}<roomId>, stats on {}",
          server.wsUri("/rooms/"),
          server.uri().resolve(STATS_PATH));
      server.join();
    }
  }
}
