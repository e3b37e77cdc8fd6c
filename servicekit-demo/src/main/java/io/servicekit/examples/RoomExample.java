package io.servicekit.examples;

import io.servicekit.CloseException;
import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.Hub;
import io.servicekit.JsonCodec;
import io.servicekit.MessageRejectedException;
import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.jetty.ServiceKitServer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * README "Common Patterns → Room-based Messaging" in Java: clients join and leave named rooms and
 * send to everyone else in a room.
 *
 * <pre>{@code
 * RoomExample rooms = new RoomExample();
 * try (ServiceKitServer server = rooms.server(8080, WsConfig.defaults()).start()) {
 *   server.join();
 * }
 * }</pre>
 *
 * <p>Protocol: {@code {"type":"join","room":"r"}} is answered with {@code
 * {"type":"joined","room":"r","members":n}}, {@code {"type":"leave","room":"r"}} with {@code
 * {"type":"left","room":"r"}}, and {@code {"type":"say","room":"r","text":".."}} sends {@code
 * {"type":"said","room":"r","from":connId,"text":".."}} to the room's other members. Saying
 * something in a room one has not joined, or a malformed message, is answered with the error
 * envelope.
 *
 * <p>What differs from the Go sample, and why:
 *
 * <ul>
 *   <li>The Go {@code Room} struct (a map and a mutex per room) becomes rooms of one {@link Hub}:
 *       {@link Hub#join}, {@link Hub#leave} and {@link Hub#broadcastToRoom(String, Object,
 *       String)}. Go broadcasts while holding the room's read lock with a blocking {@code
 *       client.Send} per member, so one slow member blocks the room; the hub never blocks.
 *   <li>The Go sample has no way to remove a client: members that disconnect stay in the map
 *       forever. A hub member leaves every room by itself when it closes; an emptied room
 *       disappears.
 *   <li>Room names are validated (1-32 letters, digits, {@code _} or {@code -}) and a connection
 *       may be in at most {@link #MAX_ROOMS_PER_CONNECTION} rooms, so a client cannot create
 *       unbounded state.
 *   <li>The client ids in the Go map are chosen by the application; here they are the connections'
 *       random ids, so two clients cannot overwrite each other's entry.
 * </ul>
 */
public final class RoomExample {
  /** The endpoint's path. */
  public static final String PATH = "/rooms";

  /** Rooms one connection may be in at the same time. */
  public static final int MAX_ROOMS_PER_CONNECTION = 16;

  /** Longest accepted text, in characters. */
  public static final int MAX_TEXT_LENGTH = 1000;

  private final Hub<Object> hub = new Hub<>();

  /** No rooms yet. */
  public RoomExample() {}

  /** A client that can be in several rooms. */
  public static final class RoomConn implements WsListener<Object, Object> {
    // Set by onOpen, before any other callback.
    private volatile WsSession<Object> session;

    @Override
    public Codec<Object, Object> codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "RoomConn";
    }

    private final Hub<Object> hub;
    // Written by this connection's callbacks only; a concurrent set so readers elsewhere are safe.
    private final Set<String> rooms = ConcurrentHashMap.newKeySet();

    RoomConn(Hub<Object> hub) {
      this.hub = hub;
    }

    /** The rooms this connection is in now. */
    public Set<String> rooms() {
      return Set.copyOf(rooms);
    }

    @Override
    public void onOpen(WsSession<Object> session) {
      this.session = session;
      if (!hub.register(session)) {
        throw new CloseException(CloseStatus.TRY_AGAIN_LATER, "rooms unavailable");
      }
    }

    @Override
    public void onMessage(WsSession<Object> session, Object message) {
      Map<String, Object> msg = Messages.object(message);
      String type = Messages.string(msg, "type");
      String room = Messages.name(msg, "room");
      switch (type) {
        case "join" -> join(room);
        case "leave" -> {
          if (!rooms.remove(room)) {
            throw new MessageRejectedException("not in room '" + room + "'");
          }
          hub.leave(session, room);
          session.send(event("left", room));
        }
        case "say" -> say(room, Messages.string(msg, "text"));
        default ->
            throw new MessageRejectedException(
                "unknown message type '" + type + "': expected join, leave or say");
      }
    }

    private void join(String room) {
      if (!rooms.contains(room) && rooms.size() >= MAX_ROOMS_PER_CONNECTION) {
        throw new MessageRejectedException(
            "cannot join '" + room + "': already in " + MAX_ROOMS_PER_CONNECTION + " rooms");
      }
      if (hub.join(session, room)) {
        rooms.add(room);
        Map<String, Object> joined = event("joined", room);
        joined.put("members", hub.members(room).size());
        session.send(joined);
      }
    }

    private void say(String room, String text) {
      if (!rooms.contains(room)) {
        throw new MessageRejectedException("not in room '" + room + "': join it first");
      }
      if (text.length() > MAX_TEXT_LENGTH) {
        throw new MessageRejectedException(
            "\"text\" is longer than " + MAX_TEXT_LENGTH + " characters: " + text.length());
      }
      Map<String, Object> said = event("said", room);
      said.put("from", session.id());
      said.put("text", text);
      hub.broadcastToRoom(room, said, session.id());
    }

    private static Map<String, Object> event(String type, String room) {
      Map<String, Object> event = new LinkedHashMap<>();
      event.put("type", type);
      event.put("room", room);
      return event;
    }
  }

  /** Creates a room client for every request. */
  public WsHandler<Object, Object> handler() {
    return request -> new RoomConn(hub);
  }

  /** Members of {@code room} now. */
  public int members(String room) {
    return hub.members(room).size();
  }

  /** Sends {@code message} to {@code room} except {@code excludeConnId} (may be null). */
  public int broadcast(String room, Object message, String excludeConnId) {
    return hub.broadcastToRoom(room, message, excludeConnId);
  }

  /** A server with the rooms endpoint at {@link #PATH}; not started. */
  public ServiceKitServer server(int port, WsConfig config) {
    return ServiceKitServer.builder().port(port).ws(PATH, handler(), config).build();
  }
}
