package io.servicekit.demo;

import io.servicekit.CloseException;
import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.JsonCodec;
import io.servicekit.Message;
import io.servicekit.Request;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.broker.BrokerUnavailableException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

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
public final class ChatConn implements WsListener<Object, Object> {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ChatConn.class);

  private final ChatService service;
  private final String requestedName; // null: a guest name from the connection id
  // Set by onOpen, before anything else runs.
  private volatile WsSession<Object> session;
  private volatile Member member;
  private volatile String username;
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
   * {@code room}. Both must already be valid (see {@link ChatService#accept}).
   */
  ChatConn(ChatService service, String username, String room) {
    this.service = service;
    this.requestedName = username;
    this.room = room;
  }

  @Override
  public Codec<Object, Object> codec() {
    return JsonCodec.INSTANCE;
  }

  @Override
  public String name() {
    return "ChatConn";
  }

  /** The user's display name (once the connection is open). */
  public String username() {
    return username;
  }

  /** The room the user is in. */
  public String room() {
    return room;
  }

  /** The connection id (the {@code userId} of the chat events), once the connection is open. */
  public String connId() {
    WsSession<Object> s = session;
    return s == null ? null : s.id();
  }

  @Override
  public void onOpen(WsSession<Object> session) throws Exception {
    this.session = session;
    this.username = requestedName != null ? requestedName : "guest-" + session.id().substring(0, 6);
    Member m = new Member(session);
    this.member = m;
    if (!service.hub().register(m)) {
      throw new CloseException(CloseStatus.TRY_AGAIN_LATER, "chat is full, try again later");
    }
    enter(room, event("welcome", user(room)));
  }

  /**
   * This connection as a hub member: frames from the hub are queued, or held back while the user is
   * entering a room; everything else goes to the connection as it is.
   */
  final class Member implements WsSession<Object> {
    private final WsSession<Object> s;

    Member(WsSession<Object> s) {
      this.s = s;
    }

    /** The chat connection this member is. */
    ChatConn conn() {
      return ChatConn.this;
    }

    @Override
    public boolean sendMessage(Message frame) {
      synchronized (heldLock) {
        if (held != null) {
          held.add(frame);
          return true;
        }
      }
      return s.sendMessage(frame);
    }

    @Override
    public String id() {
      return s.id();
    }

    @Override
    public Request request() {
      return s.request();
    }

    @Override
    public Optional<String> subprotocol() {
      return s.subprotocol();
    }

    @Override
    public Codec<?, Object> codec() {
      return s.codec();
    }

    @Override
    public boolean send(Object message) {
      return s.send(message);
    }

    @Override
    public boolean isOpen() {
      return s.isOpen();
    }

    @Override
    public long queuedBytes() {
      return s.queuedBytes();
    }

    @Override
    public long droppedMessages() {
      return s.droppedMessages();
    }

    @Override
    public boolean close(CloseStatus status) {
      return s.close(status);
    }

    @Override
    public void abort() {
      s.abort();
    }

    @Override
    public CompletionStage<CloseStatus> closeFuture() {
      return s.closeFuture();
    }

    @Override
    public void whenClosed(Consumer<CloseStatus> listener) {
      s.whenClosed(listener);
    }
  }

  @Override
  public void onMessage(WsSession<Object> session, Object message) {
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
      case "list_users" -> session.send(event("users", service.users(room)));
      case "ping" -> {
        Map<String, Object> pong = new LinkedHashMap<>();
        pong.put("type", "pong");
        pong.put("pingId", map.get("pingId"));
        pong.put("timestamp", service.now());
        session.send(pong);
      }
      default -> session.sendError("unknown message type: " + shorten(type));
    }
  }

  @Override
  public void onClose(WsSession<Object> session, CloseStatus status) {
    if (joined) {
      leave(room);
    }
    // The hub unregisters the connection by itself once it has closed.
  }

  private void chat(Object text) {
    if (!(text instanceof String message) || message.isBlank()) {
      session.sendError("chat_message needs a non-empty string \"message\"");
      return;
    }
    int length = message.codePointCount(0, message.length());
    if (length > ChatService.MAX_MESSAGE_LENGTH) {
      session.sendError(
          "chat_message \"message\" must be at most "
              + ChatService.MAX_MESSAGE_LENGTH
              + " characters, got "
              + length);
      return;
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("userId", session.id());
    data.put("username", username);
    data.put("message", message);
    data.put("timestamp", service.now());
    service
        .hub()
        .broadcastToRoomAsync(room, event("chat_message", data))
        .exceptionally(
            e -> {
              session.sendError("chat_message not delivered: " + Failures.message(e));
              return 0;
            });
  }

  private void joinRoom(Object target) {
    if (!(target instanceof String next)) {
      session.sendError("join_room needs a string \"room\"");
      return;
    }
    String problem = ChatService.nameProblem("room", next);
    if (problem != null) {
      session.sendError(problem);
      return;
    }
    String previous = room;
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("room", next);
    data.put("previousRoom", previous);
    if (next.equals(previous)) {
      session.send(event("room_changed", data));
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
    service.hub().join(member, name);
    joined = true;
    // Tell the room before the welcome: a client holding its welcome knows that every member who
    // joins after that point will not be told about it again.
    tellRoom(name, event("user_joined", user(name)));
    synchronized (heldLock) {
      session.send(first);
      for (Message frame : held) {
        session.sendMessage(frame);
      }
      held = null;
    }
  }

  private void leave(String name) {
    service.hub().leave(member, name);
    joined = false;
    tellRoom(name, event("user_left", user(name)));
  }

  /** A join or leave notice; with the broker down the room is not told (the member still moves). */
  private void tellRoom(String name, Map<String, Object> notice) {
    try {
      service.hub().broadcastToRoom(name, notice, session.id());
    } catch (BrokerUnavailableException e) {
      LOG.debug("{} {}: {} not sent: {}", name(), session.id(), notice.get("type"), e.getMessage());
    }
  }

  private Map<String, Object> user(String inRoom) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("userId", session.id());
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
