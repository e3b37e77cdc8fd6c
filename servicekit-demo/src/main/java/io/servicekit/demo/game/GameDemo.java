package io.servicekit.demo.game;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.servicekit.Rejection;
import io.servicekit.Request;
import io.servicekit.demo.game.v1.CommandSummary;
import io.servicekit.demo.game.v1.GameCommand;
import io.servicekit.demo.game.v1.GameServiceGrpc;
import io.servicekit.demo.game.v1.GameState;
import io.servicekit.demo.game.v1.PlayerAction;
import io.servicekit.demo.game.v1.SubscribeRequest;
import io.servicekit.grpc.BidiStreamHandler;
import io.servicekit.grpc.ClientStreamHandler;
import io.servicekit.grpc.ServerStreamHandler;
import io.servicekit.jetty.ServiceKitServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The multiplayer game demo: a real grpc-java {@link GameService} (in-process transport) bridged to
 * browsers by servicekit-grpc.
 *
 * <table>
 * <caption>Routes</caption>
 * <tr><th>path</th><th>what</th></tr>
 * <tr><td>{@code /game/{id}}</td><td>the page with the three panels ({@code /game/} picks a random id)</td></tr>
 * <tr><td>{@code /ws/v1/{gameId}/subscribe?player_id=}</td><td>server streaming: {@code Subscribe}</td></tr>
 * <tr><td>{@code /ws/v1/{gameId}/commands}</td><td>client streaming: {@code SendCommands}</td></tr>
 * <tr><td>{@code /ws/v1/{gameId}/sync}</td><td>bidirectional: {@code SyncGame} in that game</td></tr>
 * </table>
 *
 * <pre>{@code
 * ServiceKitServer server = GameDemo.install(ServiceKitServer.builder().port(8080)).build();
 * }</pre>
 *
 * <p>The gRPC server and channel stop with the web server (they belong to the page handler's
 * lifecycle).
 */
public final class GameDemo {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final GameService service = new GameService();
  private final Server grpc;
  private final ManagedChannel channel;
  private final GameServiceGrpc.GameServiceStub stub;

  /** Starts the in-process gRPC server and a channel to it. */
  public GameDemo() {
    String name = "servicekit-game-" + InProcessServerBuilder.generateName();
    try {
      grpc =
          InProcessServerBuilder.forName(name)
              .addService(ServerInterceptors.intercept(service, GameService.gameIdInterceptor()))
              .build()
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the in-process game server", e);
    }
    channel = InProcessChannelBuilder.forName(name).build();
    stub = GameServiceGrpc.newStub(channel);
  }

  /** Adds the game's routes to {@code builder} with a new {@link GameDemo}. */
  public static ServiceKitServer.Builder install(ServiceKitServer.Builder builder) {
    return new GameDemo().routes(builder);
  }

  /** Adds this demo's routes to {@code builder}. */
  public ServiceKitServer.Builder routes(ServiceKitServer.Builder builder) {
    // [START routes]
    return builder
        .route("/game/*", new GamePage(this::stop))
        .ws(
            "/ws/v1/{gameId}/subscribe",
            ServerStreamHandler.of(
                request ->
                    SubscribeRequest.newBuilder()
                        .setGameId(gameId(request))
                        .setPlayerId(playerId(request))
                        .build(),
                stub::subscribe))
        .ws(
            "/ws/v1/{gameId}/commands",
            ClientStreamHandler.<GameCommand, CommandSummary>of(
                GameCommand.getDefaultInstance(),
                (request, responses) -> inGame(request).sendCommands(responses)))
        .ws(
            "/ws/v1/{gameId}/sync",
            BidiStreamHandler.<PlayerAction, GameState>of(
                PlayerAction.getDefaultInstance(),
                (request, responses) -> inGame(request).syncGame(responses)));
    // [END routes]
  }

  /** The gRPC service (open calls, rooms). */
  public GameService service() {
    return service;
  }

  /** A stub sending the request's game id as the {@code game-id} header. */
  // [START metadata]
  private GameServiceGrpc.GameServiceStub inGame(Request request) throws Rejection {
    Metadata headers = new Metadata();
    headers.put(GameService.GAME_ID, gameId(request));
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  // [END metadata]

  private static String playerId(Request request) throws Rejection {
    String id =
        request
            .queryParam("player_id")
            .orElseGet(() -> "player-" + ThreadLocalRandom.current().nextInt(10_000));
    if (!ID.matcher(id).matches()) {
      throw Rejection.of(400, "player_id must be 1-64 of [A-Za-z0-9._-], got \"" + id + "\"");
    }
    return id;
  }

  private static String gameId(Request request) throws Rejection {
    String id = request.pathParam("gameId").orElse("");
    if (!ID.matcher(id).matches()) {
      throw Rejection.of(400, "game id must be 1-64 of [A-Za-z0-9._-], got \"" + id + "\"");
    }
    return id;
  }

  /** Stops the channel and the gRPC server (open calls are cancelled). */
  public void stop() {
    channel.shutdownNow();
    grpc.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
      grpc.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
