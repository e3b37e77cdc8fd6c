package io.servicekit.demo.game;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.servicekit.demo.game.v1.AttackAction;
import io.servicekit.demo.game.v1.CommandSummary;
import io.servicekit.demo.game.v1.GameCommand;
import io.servicekit.demo.game.v1.GameEvent;
import io.servicekit.demo.game.v1.GameServiceGrpc;
import io.servicekit.demo.game.v1.GameState;
import io.servicekit.demo.game.v1.PlayerAction;
import io.servicekit.demo.game.v1.PlayerActionEvent;
import io.servicekit.demo.game.v1.PlayerJoined;
import io.servicekit.demo.game.v1.PlayerLeft;
import io.servicekit.demo.game.v1.PlayerState;
import io.servicekit.demo.game.v1.SubscribeRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * The game of the Go library's grpcws demo as a real grpc-java service: rooms by game id, each with
 * players (position, health from 100, score from 0), event subscribers and state streams.
 *
 * <ul>
 *   <li>{@code Subscribe}: joins the room as a player ({@code player_joined} to everyone), streams
 *       the room's events, leaves when the call ends ({@code player_left}).
 *   <li>{@code SendCommands}: counts the commands; a command with an empty {@code command_type} or
 *       one not in {@code attack, defend, move, heal, chat} fails, with the reason in {@code
 *       errors}.
 *   <li>{@code SyncGame}: game id from the {@code game-id} metadata header ({@link #GAME_ID}); each
 *       {@code PlayerAction} updates the room (move sets x/y/z, attack +10 score, use_item +20
 *       health up to 100), emits {@code player_action} and sends the new {@code GameState} to every
 *       state stream of the room. Half-closing ends the call.
 * </ul>
 *
 * <p>Unlike the Go demo there is no deadlock: room state changes under the room's lock, and the
 * messages are handed to each stream's bounded {@link Outbox} after the lock is released. Rooms are
 * removed when their last member leaves. {@link #activeCalls()} counts open calls.
 */
public final class GameService extends GameServiceGrpc.GameServiceImplBase {
  /**
   * The metadata header carrying the game id of a {@code SyncGame} or {@code SendCommands} call.
   */
  public static final Metadata.Key<String> GAME_ID =
      Metadata.Key.of("game-id", Metadata.ASCII_STRING_MARSHALLER);

  private static final Context.Key<String> GAME = Context.key("game-id");
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final List<String> COMMANDS = List.of("attack", "defend", "move", "heal", "chat");
  private static final int OUTBOX = 100;

  private final Map<String, Room> rooms = new ConcurrentHashMap<>();
  private final AtomicInteger active = new AtomicInteger();

  /** Calls open right now (all three kinds). */
  public int activeCalls() {
    return active.get();
  }

  /** Rooms with at least one member. */
  public int rooms() {
    return rooms.size();
  }

  /** Copies the {@link #GAME_ID} header into the call's context; install with the service. */
  public static ServerInterceptor gameIdInterceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String game = headers.get(GAME_ID);
        return Contexts.interceptCall(Context.current().withValue(GAME, game), call, headers, next);
      }
    };
  }

  private Runnable track(ServerCallStreamObserver<?> call, Runnable onEnd) {
    active.incrementAndGet();
    AtomicBoolean ended = new AtomicBoolean();
    Runnable end =
        () -> {
          if (ended.compareAndSet(false, true)) {
            active.decrementAndGet();
            onEnd.run();
          }
        };
    call.setOnCancelHandler(end);
    return end;
  }

  private static String validId(String what, String value) {
    if (value == null || !ID.matcher(value).matches()) {
      throw Status.INVALID_ARGUMENT
          .withDescription(what + " must be 1-64 of [A-Za-z0-9._-], got \"" + value + "\"")
          .asRuntimeException();
    }
    return value;
  }

  private Room room(String gameId) {
    return rooms.computeIfAbsent(gameId, Room::new);
  }

  @Override
  public void subscribe(SubscribeRequest request, StreamObserver<GameEvent> responses) {
    ServerCallStreamObserver<GameEvent> call = (ServerCallStreamObserver<GameEvent>) responses;
    String gameId;
    String playerId;
    try {
      gameId = validId("game_id", request.getGameId());
      playerId = validId("player_id", request.getPlayerId());
    } catch (RuntimeException e) {
      responses.onError(e);
      return;
    }
    Outbox<GameEvent> outbox = new Outbox<>(call, OUTBOX);
    Room room = room(gameId);
    Member member = new Member(playerId, outbox, null);
    track(
        call,
        () -> {
          outbox.close();
          room.leave(member, "disconnected");
        });
    room.join(member);
  }

  @Override
  public StreamObserver<GameCommand> sendCommands(StreamObserver<CommandSummary> responses) {
    ServerCallStreamObserver<CommandSummary> call =
        (ServerCallStreamObserver<CommandSummary>) responses;
    Runnable end = track(call, () -> {});
    CommandSummary.Builder summary = CommandSummary.newBuilder();
    return new StreamObserver<>() {
      @Override
      public void onNext(GameCommand command) {
        summary.setCommandsReceived(summary.getCommandsReceived() + 1);
        if (COMMANDS.contains(command.getCommandType())) {
          summary.setCommandsExecuted(summary.getCommandsExecuted() + 1);
        } else {
          summary.setCommandsFailed(summary.getCommandsFailed() + 1);
          summary.addErrors(
              "command "
                  + command.getCommandId()
                  + " failed: unknown command type \""
                  + command.getCommandType()
                  + "\"");
        }
      }

      @Override
      public void onError(Throwable t) {
        end.run();
      }

      @Override
      public void onCompleted() {
        end.run();
        responses.onNext(summary.build());
        responses.onCompleted();
      }
    };
  }

  @Override
  public StreamObserver<PlayerAction> syncGame(StreamObserver<GameState> responses) {
    ServerCallStreamObserver<GameState> call = (ServerCallStreamObserver<GameState>) responses;
    String gameId;
    try {
      gameId = validId("game-id header", GAME.get());
    } catch (RuntimeException e) {
      responses.onError(e);
      return new StreamObserver<>() {
        @Override
        public void onNext(PlayerAction value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
    Outbox<GameState> outbox = new Outbox<>(call, OUTBOX);
    Room room = room(gameId);
    Member member = new Member(null, null, outbox);
    Runnable end =
        track(
            call,
            () -> {
              outbox.close();
              room.leave(member, "left");
            });
    room.join(member);
    return new StreamObserver<>() {
      @Override
      public void onNext(PlayerAction action) {
        if (action.getPlayerId().isEmpty() || !ID.matcher(action.getPlayerId()).matches()) {
          return; // ignored, as the Go demo does with unusable actions
        }
        room.act(action);
      }

      @Override
      public void onError(Throwable t) {
        end.run();
      }

      @Override
      public void onCompleted() {
        room.leave(member, "left");
        outbox.complete();
        end.run();
      }
    };
  }

  /** A subscriber (events) or a state stream of one room. */
  private record Member(String playerId, Outbox<GameEvent> events, Outbox<GameState> states) {}

  /** One game. State under {@code lock}; delivery after it is released. */
  private final class Room {
    private final String id;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Member> members = new ArrayList<>(); // lock
    private final Map<String, PlayerState.Builder> players = new LinkedHashMap<>(); // lock
    private final Map<String, Integer> subscriptions = new LinkedHashMap<>(); // lock
    private long events; // lock
    private long states; // lock

    Room(String id) {
      this.id = id;
    }

    void join(Member member) {
      GameEvent event = null;
      List<Member> to;
      lock.lock();
      try {
        members.add(member);
        if (member.playerId() != null) {
          subscriptions.merge(member.playerId(), 1, Integer::sum);
          players.computeIfAbsent(member.playerId(), Room::newPlayer);
          event =
              event()
                  .setEventType("player_joined")
                  .setPlayerJoined(
                      PlayerJoined.newBuilder()
                          .setPlayerId(member.playerId())
                          .setPlayerName(member.playerId())
                          .setPlayerCount(subscriptions.size()))
                  .build();
        }
        to = List.copyOf(members);
      } finally {
        lock.unlock();
      }
      publish(to, event, null);
    }

    void leave(Member member, String reason) {
      GameEvent event = null;
      List<Member> to;
      lock.lock();
      try {
        if (!members.remove(member)) {
          return;
        }
        if (member.playerId() != null
            && subscriptions.merge(member.playerId(), -1, Integer::sum) == 0) {
          subscriptions.remove(member.playerId());
          players.remove(member.playerId());
          event =
              event()
                  .setEventType("player_left")
                  .setPlayerLeft(
                      PlayerLeft.newBuilder()
                          .setPlayerId(member.playerId())
                          .setReason(reason)
                          .setPlayerCount(subscriptions.size()))
                  .build();
        }
        if (members.isEmpty()) {
          rooms.remove(id, this);
        }
        to = List.copyOf(members);
      } finally {
        lock.unlock();
      }
      publish(to, event, null);
    }

    void act(PlayerAction action) {
      GameEvent event;
      GameState state;
      List<Member> to;
      lock.lock();
      try {
        PlayerState.Builder p = players.computeIfAbsent(action.getPlayerId(), Room::newPlayer);
        String type =
            switch (action.getActionCase()) {
              case MOVE -> {
                p.setX(action.getMove().getX()).setY(action.getMove().getY());
                p.setZ(action.getMove().getZ());
                yield "move";
              }
              case ATTACK -> {
                attack(p, action.getAttack());
                yield "attack";
              }
              case USE_ITEM -> {
                p.setHealth(Math.min(100, p.getHealth() + 20));
                yield "use_item";
              }
              case ACTION_NOT_SET -> "unknown";
            };
        event =
            event()
                .setEventType("player_action")
                .setPlayerAction(
                    PlayerActionEvent.newBuilder()
                        .setPlayerId(action.getPlayerId())
                        .setActionType(type)
                        .setActionId(action.getActionId()))
                .build();
        GameState.Builder s =
            GameState.newBuilder()
                .setStateId("state-" + ++states)
                .setTimestamp(System.currentTimeMillis());
        players.values().forEach(b -> s.addPlayers(b.build()));
        state = s.build();
        to = List.copyOf(members);
      } finally {
        lock.unlock();
      }
      publish(to, event, state);
    }

    @SuppressWarnings("UnusedVariable") // every attack scores the same in the demo
    private void attack(PlayerState.Builder p, AttackAction attack) {
      p.setScore(p.getScore() + 10);
    }

    private GameEvent.Builder event() {
      return GameEvent.newBuilder()
          .setEventId("evt-" + ++events)
          .setTimestamp(System.currentTimeMillis())
          .setGameId(id);
    }

    private static PlayerState.Builder newPlayer(String playerId) {
      return PlayerState.newBuilder().setPlayerId(playerId).setHealth(100);
    }

    /** Outside the lock: hands the messages to each member's bounded outbox. */
    private void publish(List<Member> to, GameEvent event, GameState state) {
      for (Member m : to) {
        if (event != null && m.events() != null) {
          m.events().offer(event);
        }
        if (state != null && m.states() != null) {
          m.states().offer(state);
        }
      }
    }
  }
}
