package io.servicekit.demo;

import io.servicekit.Hub;
import io.servicekit.JsonCodec;
import io.servicekit.Rejection;
import io.servicekit.Request;
import io.servicekit.WsHandler;
import io.servicekit.broker.Broker;
import java.time.Clock;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The chat demo of the seed README ("Advanced Features 1"): one {@link Hub} whose rooms are the
 * chat rooms, and the handshake validation that creates a {@link ChatConn} per client.
 *
 * <p>Query parameters of {@code /ws/chat}: {@code username} (1-{@value #MAX_NAME_LENGTH}
 * characters, no control characters; default {@code guest-<6 hex digits>}) and {@code room} (same
 * rule; default {@value #DEFAULT_ROOM}). A bad value is refused with HTTP 400 and a plain-text body
 * naming the rule and the value's length, before any upgrade. The wire protocol is described on
 * {@link ChatConn}.
 *
 * <p>Thread-safe: one instance serves every connection of the endpoint.
 */
public final class ChatService implements WsHandler<Object, Object> {
  /** Room a client joins when it names none. */
  public static final String DEFAULT_ROOM = "lobby";

  /** Longest username or room name, in characters (code points). */
  public static final int MAX_NAME_LENGTH = 32;

  /** Longest chat message text, in characters (code points). */
  public static final int MAX_MESSAGE_LENGTH = 4000;

  /** Default limit of simultaneous chat connections. */
  public static final int DEFAULT_MAX_USERS = 10_000;

  /** Broker topic of the chat hub. */
  public static final String TOPIC = "servicekit.demo.chat";

  private final Hub<Object> hub;
  private final Clock clock;

  /** A chat service for up to {@value #DEFAULT_MAX_USERS} users, on the system clock. */
  public ChatService() {
    this(DEFAULT_MAX_USERS, Clock.systemUTC());
  }

  /** A chat service for up to {@code maxUsers} users with timestamps from {@code clock}. */
  public ChatService(int maxUsers, Clock clock) {
    this(maxUsers, clock, null);
  }

  /**
   * A chat service whose rooms span every process on {@code broker} (null: this process only).
   * Messages, joins and leaves cross processes; {@code list_users} lists this process's users.
   */
  public ChatService(int maxUsers, Clock clock, Broker broker) {
    this.hub = new Hub<>(maxUsers);
    this.clock = Objects.requireNonNull(clock, "clock");
    if (broker != null) {
      hub.cluster(broker, TOPIC, JsonCodec.INSTANCE);
    }
  }

  @Override
  public ChatConn accept(Request request) throws Rejection {
    String username = request.queryParam("username").orElse(null);
    if (username != null) {
      String problem = nameProblem("username", username);
      if (problem != null) {
        throw Rejection.of(400, problem);
      }
    }
    String room = request.queryParam("room").orElse(DEFAULT_ROOM);
    String problem = nameProblem("room", room);
    if (problem != null) {
      throw Rejection.of(400, problem);
    }
    return new ChatConn(this, username, room);
  }

  /** The hub holding every chat connection; its rooms are the chat rooms. */
  public Hub<Object> hub() {
    return hub;
  }

  /** Seconds since the epoch, as the seed README's {@code time.Now().Unix()}. */
  long now() {
    return clock.instant().getEpochSecond();
  }

  /** The users of {@code room} as {@code {"userId","username"}} objects, sorted by name. */
  List<Map<String, Object>> users(String room) {
    return hub.members(room).stream()
        .filter(ChatConn.Member.class::isInstance)
        .map(m -> ((ChatConn.Member) m).conn())
        .sorted(Comparator.comparing(ChatConn::username).thenComparing(ChatConn::connId))
        .map(
            c -> {
              Map<String, Object> user = new LinkedHashMap<>();
              user.put("userId", c.connId());
              user.put("username", c.username());
              return user;
            })
        .toList();
  }

  /**
   * Why {@code value} is not a valid username or room name ({@code what}), or null if it is: 1-32
   * characters, not blank, no control characters.
   */
  static String nameProblem(String what, String value) {
    int length = value.codePointCount(0, value.length());
    if (length == 0 || value.isBlank()) {
      return what + " must not be empty or blank";
    }
    if (length > MAX_NAME_LENGTH) {
      return what + " must be at most " + MAX_NAME_LENGTH + " characters, got " + length;
    }
    if (value.codePoints().anyMatch(Character::isISOControl)) {
      return what + " must not contain control characters";
    }
    return null;
  }
}
