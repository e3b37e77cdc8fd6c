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
import java.time.InstantSource;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * README "Advanced Features → 1. Connection Management and Broadcasting" in Java: a chat server
 * that announces joins and leaves to the other users and broadcasts chat messages to everyone.
 *
 * <pre>{@code
 * ChatServerExample.ChatServer chat = new ChatServerExample.ChatServer(InstantSource.system());
 * try (ServiceKitServer server = ChatServerExample.server(8080, chat, WsConfig.defaults())
 *     .start()) {
 *   server.join(); // ws://localhost:8080/chat?username=alice
 * }
 * }</pre>
 *
 * <p>Wire format as in Go: {@code {"type":"user_joined","data":{"username":..,"userId":..}}},
 * {@code user_left} likewise, and {@code {"type":"chat_message","data":{"username":..,
 * "message":..,"timestamp":..}}}; clients send {@code {"type":"chat_message","message":"..."}}.
 *
 * <p>What differs from the Go sample, and why:
 *
 * <ul>
 *   <li>The hand-written {@code map[string]*ChatConn} plus {@code sync.RWMutex} becomes a {@link
 *       Hub}. Go broadcasts while holding the read lock with a blocking {@code Writer.Send} per
 *       client, so one client that stops reading stalls every broadcast and, through the lock,
 *       every join and leave. {@link Hub#broadcast(Object, String)} queues to each member without
 *       blocking and counts refusals.
 *   <li>Registration is tied to the lifecycle: {@link Hub#register} in {@code onStart}, and the hub
 *       drops the member by itself when it closes, whatever ends it; {@code onClose} only announces
 *       the leave.
 *   <li>The user id is the connection's random {@link io.servicekit.WsSession#id()}, not {@code
 *       "user_"+RemoteAddr}: Go's id broadcasts every user's IP address and port to all others, and
 *       behind a proxy all users share the proxy's address.
 *   <li>The username comes from the handshake ({@code ?username=}, validated, 400 otherwise); the
 *       Go sample leaves it unset.
 *   <li>{@code msg.(map[string]any)} and {@code msgMap["type"].(string)} panic in Go on any other
 *       shape; here a malformed message, an unknown type or a missing {@code message} is answered
 *       with the error envelope and the connection stays open.
 *   <li>Timestamps come from an injected {@link InstantSource}, so tests can fix them.
 * </ul>
 */
public final class ChatServerExample {
  private static final Logger LOG = LoggerFactory.getLogger(ChatServerExample.class);

  /** The endpoint's path. */
  public static final String PATH = "/chat";

  /** Longest accepted chat message, in characters. */
  public static final int MAX_MESSAGE_LENGTH = 1000;

  private ChatServerExample() {}

  /** A broadcast envelope: {@code {"type":..., "data":...}}. */
  public record Event(String type, Object data) {}

  /** {@code data} of {@code user_joined} and {@code user_left}. */
  public record UserEvent(String username, String userId) {}

  /** {@code data} of {@code chat_message}. */
  public record ChatMessage(String username, String message, long timestamp) {}

  /** The chat room: its members and the broadcast. Thread-safe. */
  public static final class ChatServer {
    private final Hub<Object> clients = new Hub<>();
    private final InstantSource clock;

    /** A chat server whose timestamps come from {@code clock}. */
    public ChatServer(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Creates a connection for {@code ?username=name}; 400 without a valid name. */
    public WsHandler<Object, Object> handler() {
      return request ->
          new ChatConn(
              this,
              Messages.requireName(request.queryParam("username"), "query parameter 'username'"));
    }

    /** Users connected now. */
    public int size() {
      return clients.size();
    }

    /**
     * Sends {@code {"type":type,"data":data}} to every user but {@code excludeId} (may be null);
     * returns how many queued it.
     */
    public int broadcast(String type, Object data, String excludeId) {
      return clients.broadcast(new Event(type, data), excludeId);
    }
  }

  /** One user's connection. */
  public static final class ChatConn implements WsListener<Object, Object> {
    @Override
    public Codec<Object, Object> codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "ChatConn";
    }

    private final ChatServer server;
    private final String username;

    ChatConn(ChatServer server, String username) {
      this.server = server;
      this.username = username;
    }

    /** The user's name. */
    public String username() {
      return username;
    }

    @Override
    public void onOpen(WsSession<Object> session) {
      if (!server.clients.register(session)) {
        throw new CloseException(CloseStatus.TRY_AGAIN_LATER, "chat unavailable");
      }
      server.broadcast("user_joined", new UserEvent(username, session.id()), session.id());
    }

    @Override
    public void onClose(WsSession<Object> session, CloseStatus status) {
      // The hub removes this connection by itself once onClose has returned.
      server.broadcast("user_left", new UserEvent(username, session.id()), session.id());
    }

    @Override
    public void onMessage(WsSession<Object> session, Object message) {
      Map<String, Object> msg = Messages.object(message);
      String type = Messages.string(msg, "type");
      if (!type.equals("chat_message")) {
        throw new MessageRejectedException(
            "unknown message type '" + type + "': expected chat_message");
      }
      String text = Messages.string(msg, "message");
      if (text.length() > MAX_MESSAGE_LENGTH) {
        throw new MessageRejectedException(
            "\"message\" is longer than " + MAX_MESSAGE_LENGTH + " characters: " + text.length());
      }
      int sent =
          server.broadcast(
              "chat_message",
              new ChatMessage(username, text, server.clock.instant().getEpochSecond()),
              null);
      LOG.debug("{}: chat message sent to {} users", this, sent);
    }
  }

  /** A server with the chat endpoint at {@link #PATH}; not started. */
  public static ServiceKitServer server(int port, ChatServer chat, WsConfig config) {
    return ServiceKitServer.builder().port(port).ws(PATH, chat.handler(), config).build();
  }

  /** Runs the chat server on port 8080 until the process is stopped. */
  public static void main(String[] args) throws Exception {
    ChatServer chat = new ChatServer(InstantSource.system());
    try (ServiceKitServer server = server(8080, chat, WsConfig.defaults()).start()) {
      LOG.info("Chat server listening on {}?username=<name>", server.wsUri(PATH));
      server.join();
    }
  }
}
