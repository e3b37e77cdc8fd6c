package io.servicekit.examples;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.servicekit.CloseException;
import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.Hub;
import io.servicekit.MessageRejectedException;
import io.servicekit.TypedJsonCodec;
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
 * README "Basic Usage → 2. Custom Message Types" in Java: a game connection with typed messages, a
 * welcome message on start, and {@code move} / {@code chat} dispatch.
 *
 * <pre>{@code
 * GameConnExample game = new GameConnExample(InstantSource.system());
 * try (ServiceKitServer server = game.server(8080, WsConfig.defaults()).start()) {
 *   server.join(); // ws://localhost:8080/games/{room}?player=alice
 * }
 * }</pre>
 *
 * <p>Protocol: the client sends {@code {"type":"move","data":...}} or {@code
 * {"type":"chat","data":"text"}}; the server sends {@link GameMessage}s: {@code welcome} to a new
 * player, every {@code move} to everyone in the game room (the mover included, as the server's
 * confirmation of the order of moves), every {@code chat} to the other players of the room.
 *
 * <p>What differs from the Go sample, and why:
 *
 * <ul>
 *   <li>The connection is a {@code WsListener<GameInput, GameMessage>} with a {@link
 *       TypedJsonCodec} instead of a {@code JSONConn} whose handler re-parses {@code
 *       map[string]any}: the codec binds the JSON to records, so there are no type assertions
 *       ({@code msgMap["type"].(string)} panics in Go when {@code type} is missing or not a
 *       string).
 *   <li>A missing or unknown {@code type} is answered with the error envelope and the connection
 *       stays open; Go panics or only logs. Invalid JSON closes with 1007 (the default {@code
 *       onError}).
 *   <li>The player id and game room come from the handshake ({@code /games/{room}?player=id},
 *       validated, 400 otherwise) and never from the message: the Go sample leaves their origin
 *       open, and a client-supplied {@code playerId} field is ignored. In production the player id
 *       would come from authentication (see {@link AuthExample}).
 *   <li>{@code handleMove} / {@code handleChat} are left undefined in Go; here they broadcast
 *       through a {@link Hub} room, which sends without blocking and drops members that close.
 *   <li>The welcome is sent before the player joins the room, so it is always the first message the
 *       player receives. Go ignores the result of {@code Writer.Send}; here a welcome that cannot
 *       be queued ends {@code onStart} with a close.
 *   <li>Timestamps come from an injected {@link InstantSource}, so tests can fix them.
 * </ul>
 */
public final class GameConnExample {
  private static final Logger LOG = LoggerFactory.getLogger(GameConnExample.class);

  /** The endpoint's path template. */
  public static final String PATH = "/games/{room}";

  /** Longest accepted chat text, in characters. */
  public static final int MAX_CHAT_LENGTH = 500;

  private static final Codec<GameInput, GameMessage> CODEC = TypedJsonCodec.of(GameInput.class);

  private final Hub<GameMessage> hub = new Hub<>();
  private final InstantSource clock;

  /** A game server whose message timestamps come from {@code clock}. */
  public GameConnExample(InstantSource clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * A message the server sends, the Go {@code GameMessage}.
   *
   * @param type {@code welcome}, {@code move} or {@code chat}
   * @param playerId the player the message is about
   * @param data the payload; left out of the JSON when null ({@code omitempty} in Go)
   * @param timestamp seconds since the epoch
   */
  public record GameMessage(
      String type,
      String playerId,
      @JsonInclude(JsonInclude.Include.NON_NULL) Object data,
      long timestamp) {}

  /**
   * A message a client sends: a {@code type} and its {@code data}. Other fields, such as a {@code
   * playerId} the client might claim, are ignored.
   */
  public record GameInput(String type, Object data) {}

  /** One player's connection to one game room. */
  public static final class GameConn implements WsListener<GameInput, GameMessage> {
    // Set by onOpen, before any other callback.
    private volatile WsSession<GameMessage> session;

    @Override
    public Codec<GameInput, GameMessage> codec() {
      return CODEC;
    }

    @Override
    public String name() {
      return "GameConn";
    }

    private final GameConnExample game;
    private final String playerId;
    private final String gameRoom;

    GameConn(GameConnExample game, String playerId, String gameRoom) {
      this.game = game;
      this.playerId = playerId;
      this.gameRoom = gameRoom;
    }

    /** The player this connection belongs to. */
    public String playerId() {
      return playerId;
    }

    /** The game room the player is in. */
    public String gameRoom() {
      return gameRoom;
    }

    @Override
    public void onOpen(WsSession<GameMessage> session) {
      this.session = session;
      GameMessage welcome =
          new GameMessage(
              "welcome",
              playerId,
              Map.of("playerId", playerId, "gameRoom", gameRoom),
              game.clock.instant().getEpochSecond());
      if (!session.send(welcome)
          || !game.hub.register(session)
          || !game.hub.join(session, gameRoom)) {
        throw new CloseException(CloseStatus.TRY_AGAIN_LATER, "could not join game " + gameRoom);
      }
    }

    @Override
    public void onMessage(WsSession<GameMessage> session, GameInput message) {
      String type = message.type();
      if (type == null || type.isBlank()) {
        throw new MessageRejectedException("a game message needs a \"type\": move or chat");
      }
      switch (type) {
        case "move" -> handleMove(message.data());
        case "chat" -> handleChat(message.data());
        default ->
            throw new MessageRejectedException(
                "unknown message type '" + type + "': expected move or chat");
      }
    }

    private void handleMove(Object data) {
      if (data == null) {
        throw new MessageRejectedException("a move needs \"data\"");
      }
      int sent = game.hub.broadcastToRoom(gameRoom, game.message("move", playerId, data));
      LOG.debug("{}: move sent to {} players in {}", this, sent, gameRoom);
    }

    private void handleChat(Object data) {
      if (!(data instanceof String text) || text.isBlank() || text.length() > MAX_CHAT_LENGTH) {
        throw new MessageRejectedException(
            "a chat needs \"data\": a non-empty string of at most "
                + MAX_CHAT_LENGTH
                + " characters");
      }
      game.hub.broadcastToRoom(gameRoom, game.message("chat", playerId, text), session.id());
    }
  }

  private GameMessage message(String type, String playerId, Object data) {
    return new GameMessage(type, playerId, data, clock.instant().getEpochSecond());
  }

  /**
   * Creates a player's connection from {@code /games/{room}?player=id}; a missing or malformed room
   * or player id is refused with 400.
   */
  public WsHandler<GameInput, GameMessage> handler() {
    return request -> {
      String room = Messages.requireName(request.pathParam("room"), "the game room in the path");
      String player =
          Messages.requireName(request.queryParam("player"), "query parameter 'player'");
      return new GameConn(this, player, room);
    };
  }

  /** Players connected now. */
  public int players() {
    return hub.size();
  }

  /** Players in game room {@code room} now. */
  public int players(String room) {
    return hub.members(room).size();
  }

  /** A server with the game endpoint at {@link #PATH}; not started. */
  public ServiceKitServer server(int port, WsConfig config) {
    return ServiceKitServer.builder().port(port).ws(PATH, handler(), config).build();
  }

  /** Runs the game server on port 8080 until the process is stopped. */
  public static void main(String[] args) throws Exception {
    GameConnExample game = new GameConnExample(InstantSource.system());
    try (ServiceKitServer server = game.server(8080, WsConfig.defaults()).start()) {
      LOG.info("Game server listening on {}<room>?player=<id>", server.wsUri("/games/"));
      server.join();
    }
  }
}
