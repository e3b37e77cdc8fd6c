package io.servicekit.demo;

import io.servicekit.CloseException;
import io.servicekit.CloseStatus;
import io.servicekit.JsonConn;
import io.servicekit.Message;
import io.servicekit.WsSession;
import io.servicekit.broker.BrokerUnavailableException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One chat client of {@link ChatService}: the seed README's {@code ChatConn} with rooms, on a
 * {@link io.servicekit.Hub}.
 *
 * <p>Server to client (JSON text; {@code userId} is the connection id):
 *
 * <ul>
 *   <li>{@code {"type":"welcome","data":{"userId","username","room"}}} first, to the new client;
 *       once it has arrived, the client is in the room: everything the room sends later reaches it;
 *   <li>{@code {"type":"user_joined","data":{"userId","username","room"}}} and {@code user_left}
 *       (same fields) to the other members of a room; a user_joined is queued to them before the
 *       joining client gets its welcome;
 *   <li>{@code {"type":"chat_message","data":{"userId","username","message","timestamp"}}} to every
 *       member of the sender's room, the sender included ({@code timestamp}: epoch seconds);
 *   <li>{@code {"type":"room_changed","data":{"room","previousRoom"}}} after a {@code join_room},
 *       before anything from the new room (the same guarantee as the welcome);
 *   <li>{@code {"type":"users","data":[{"userId","username"}...]}}: the members of the room;
 *   <li>{@code {"type":"pong","pingId":n,"timestamp":...}} answering a client ping;
 *   <li>the heartbeat {@code {"type":"ping",...}} every ping period (answer {@code
 *       {"type":"pong","pingId":n}}), and error envelopes {@code {"error":"...","type":"error"}}.
 * </ul>
 *
 * <p>Client to server: {@code {"type":"chat_message","message":"..."}} (1-{@value
 * ChatService#MAX_MESSAGE_LENGTH} characters), {@code {"type":"join_room","room":"..."}}, {@code
 * {"type":"list_users"}}, {@code {"type":"ping","pingId":n}}.
 *
 * <p>Errors: a well-formed message that cannot be served (unknown {@code type}, missing or invalid
 * field) is answered with an error envelope and the connection stays open. A message that is not a
 * JSON object with a string {@code type} closes the connection with <b>1007</b> (invalid payload):
 * the frame type is right but its content is not a chat message, the same code the JSON codec uses
 * for text that is not JSON at all. Binary frames close with 1003 (the codec's rule).
 */
public final class ChatConn extends JsonConn {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ChatConn.class);

  private final ChatService service;
  private final String username;
  // Written only by this connection's callbacks, which never run concurrently.
  private volatile String room;
  private volatile boolean joined;

  // While the user enters a room, frames from the hub are held back here, so that the welcome
  // (or room_changed) is always the first message from the room, and a client that has received
  // it knows it is in the room. Null when nothing is held. Guarded by heldLock.
  private final Object heldLock = new Object();
  private List<Message> held;

  /**
   * A connection for {@code username} (null: a guest name from the connection id) that starts in
   * {@code room}. Both must already be valid (see {@link ChatService#validate}).
   */
  ChatConn(ChatService service, String username, String room) {
    super("ChatConn");
    this.service = service;
    this.username = username != null ? username : "guest-" + connId().substring(0, 6);
    this.room = room;
  }

  /** The user's display name. */
  public String username() {
    return username;
  }

  /** The room the user is in. */
  public String room() {
    return room;
  }

  @Override
  public void onStart(WsSession session) throws Exception {
    if (!service.hub().register(this)) {
      throw new CloseException(CloseStatus.TRY_AGAIN_LATER, "chat is full, try again later");
    }
    enter(room, event("welcome", user(room)));
  }

  /** Queues a frame from the hub, or holds it back while the user is entering a room. */
  @Override
  public boolean sendFrame(Message frame) {
    synchronized (heldLock) {
      if (held != null) {
        held.add(frame);
        return true;
      }
    }
    return super.sendFrame(frame);
  }

  @Override
  public void handleMessage(Object message) {
    if (!(message instanceof Map<?, ?> map)) {
      throw new CloseException(
          CloseStatus.INVALID_PAYLOAD,
          "chat messages must be JSON objects, got " + jsonKind(message));
    }
    if (!(map.get("type") instanceof String type)) {
      throw new CloseException(
          CloseStatus.INVALID_PAYLOAD, "chat messages need a string \"type\" field");
    }
    switch (type) {
      case "chat_message" -> chat(map.get("message"));
      case "join_room" -> joinRoom(map.get("room"));
      case "list_users" -> sendOutput(event("users", service.users(room)));
      case "ping" -> {
        Map<String, Object> pong = new LinkedHashMap<>();
        pong.put("type", "pong");
        pong.put("pingId", map.get("pingId"));
        pong.put("timestamp", service.now());
        sendOutput(pong);
      }
      default -> sendError("unknown message type: " + shorten(type));
    }
  }

  @Override
  public void onClose(CloseStatus status) {
    if (joined) {
      leave(room);
    }
    // The hub unregisters the connection by itself once it has closed.
  }

  private void chat(Object text) {
    if (!(text instanceof String message) || message.isBlank()) {
      sendError("chat_message needs a non-empty string \"message\"");
      return;
    }
    int length = message.codePointCount(0, message.length());
    if (length > ChatService.MAX_MESSAGE_LENGTH) {
      sendError(
          "chat_message \"message\" must be at most "
              + ChatService.MAX_MESSAGE_LENGTH
              + " characters, got "
              + length);
      return;
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("userId", connId());
    data.put("username", username);
    data.put("message", message);
    data.put("timestamp", service.now());
    service
        .hub()
        .broadcastToRoomAsync(room, event("chat_message", data))
        .exceptionally(
            e -> {
              sendError("chat_message not delivered: " + Failures.message(e));
              return 0;
            });
  }

  private void joinRoom(Object target) {
    if (!(target instanceof String next)) {
      sendError("join_room needs a string \"room\"");
      return;
    }
    String problem = ChatService.nameProblem("room", next);
    if (problem != null) {
      sendError(problem);
      return;
    }
    String previous = room;
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("room", next);
    data.put("previousRoom", previous);
    if (next.equals(previous)) {
      sendOutput(event("room_changed", data));
      return;
    }
    leave(previous);
    room = next;
    enter(next, event("room_changed", data));
  }

  /** Joins room {@code name}, sends {@code first} before anything from the room, tells the room. */
  private void enter(String name, Map<String, Object> first) {
    synchronized (heldLock) {
      held = new ArrayList<>();
    }
    service.hub().join(this, name);
    joined = true;
    // Tell the room before the welcome: a client holding its welcome knows that every member who
    // joins after that point will not be told about it again.
    tellRoom(name, event("user_joined", user(name)));
    synchronized (heldLock) {
      sendOutput(first);
      for (Message frame : held) {
        super.sendFrame(frame);
      }
      held = null;
    }
  }

  private void leave(String name) {
    service.hub().leave(this, name);
    joined = false;
    tellRoom(name, event("user_left", user(name)));
  }

  /** A join or leave notice; with the broker down the room is not told (the member still moves). */
  private void tellRoom(String name, Map<String, Object> notice) {
    try {
      service.hub().broadcastToRoom(name, notice, connId());
    } catch (BrokerUnavailableException e) {
      LOG.debug("{} {}: {} not sent: {}", name(), connId(), notice.get("type"), e.getMessage());
    }
  }

  private Map<String, Object> user(String inRoom) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("userId", connId());
    data.put("username", username);
    data.put("room", inRoom);
    return data;
  }

  private static Map<String, Object> event(String type, Object data) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("type", type);
    event.put("data", data);
    return event;
  }

  private static String jsonKind(Object value) {
    return switch (value) {
      case null -> "null";
      case List<?> l -> "an array";
      case String s -> "a string";
      case Number n -> "a number";
      case Boolean b -> "a boolean";
      default -> value.getClass().getSimpleName();
    };
  }

  private static String shorten(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}
