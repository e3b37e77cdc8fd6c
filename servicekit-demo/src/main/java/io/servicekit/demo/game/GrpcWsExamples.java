package io.servicekit.demo.game;

import com.google.protobuf.util.JsonFormat;
import io.servicekit.BaseConn;
import io.servicekit.WsHandler;
import io.servicekit.demo.game.v1.GameState;
import io.servicekit.demo.game.v1.PlayerAction;
import io.servicekit.demo.game.v1.PlayerState;
import io.servicekit.grpc.BinaryProtoCodec;
import io.servicekit.grpc.GrpcWsConfig;
import io.servicekit.grpc.GrpcWsConn;
import io.servicekit.grpc.ProtoJsonCodec;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The samples of docs/grpc-websocket.md, compiled and run by GrpcWsExamplesTest. */
public final class GrpcWsExamples {
  private GrpcWsExamples() {}

  // [START binary-conn]
  /** Protobuf messages as binary frames; the JSON heartbeat keeps working beside them. */
  public static final class BinaryStateConn extends BaseConn<PlayerAction, GameState> {
    public BinaryStateConn() {
      super(new BinaryProtoCodec<>(PlayerAction.getDefaultInstance()), "BinaryStateConn");
    }

    @Override
    public void handleMessage(PlayerAction action) {
      sendOutput(
          GameState.newBuilder()
              .setStateId(action.getActionId())
              .addPlayers(PlayerState.newBuilder().setPlayerId(action.getPlayerId()))
              .build());
    }
  }

  // [END binary-conn]

  /** The same connection with protobuf JSON text frames instead. */
  public static BaseConn<PlayerAction, GameState> jsonStateConn() {
    // [START json-codec]
    ProtoJsonCodec<PlayerAction, GameState> codec =
        new ProtoJsonCodec<>(
            PlayerAction.getDefaultInstance(),
            JsonFormat.parser().ignoringUnknownFields(),
            JsonFormat.printer().omittingInsignificantWhitespace());
    // [END json-codec]
    return new BaseConn<>(codec, "JsonStateConn") {
      @Override
      public void handleMessage(PlayerAction action) {
        sendOutput(GameState.newBuilder().setStateId(action.getActionId()).build());
      }
    };
  }

  /** Options for a bridge: lenient JSON and a smaller window. */
  public static GrpcWsConfig options() {
    // [START options]
    GrpcWsConfig options =
        GrpcWsConfig.builder()
            .parser(JsonFormat.parser().ignoringUnknownFields())
            .initialWindow(8) // responses in flight
            .highWaterBytes(128 * 1024)
            .lowWaterBytes(32 * 1024)
            .build();
    // [END options]
    return options;
  }

  /** Keeps every bridge connection a handler creates, to read their metrics. */
  public static final class Metered<C extends GrpcWsConn<?, ?>> {
    /** The connections created so far. */
    public final List<C> conns = new CopyOnWriteArrayList<>();

    /** Wraps {@code handler}. */
    public WsHandler<io.servicekit.grpc.Envelope, C> wrap(
        WsHandler<io.servicekit.grpc.Envelope, C> handler) {
      // [START metrics]
      return request -> {
        C conn = handler.validate(request);
        conn.closeFuture()
            .thenRun(
                () ->
                    System.getLogger("game")
                        .log(
                            System.Logger.Level.INFO,
                            "{0} {1}: sent {2}, received {3} in {4}",
                            conn.name(),
                            conn.connId(),
                            conn.metrics().messagesSent(),
                            conn.metrics().messagesReceived(),
                            conn.metrics().duration()));
        conns.add(conn);
        return conn;
      };
      // [END metrics]
    }
  }
}
