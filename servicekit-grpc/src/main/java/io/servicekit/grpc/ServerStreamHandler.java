package io.servicekit.grpc;

import com.google.protobuf.Message;
import io.servicekit.Rejection;
import io.servicekit.Request;
import io.servicekit.WsHandler;
import java.util.Objects;

/**
 * Bridges {@code rpc M(Req) returns (stream Resp)} to a WebSocket. The request is built from the
 * upgrade request before the upgrade; a parse failure answers 400 with the reason and opens no
 * call. The call is opened after the upgrade; each response is sent as {@code data}, the end as
 * {@code stream_end}.
 *
 * <pre>{@code
 * server.ws("/ws/v1/{gameId}/subscribe",
 *     ServerStreamHandler.of(
 *         request -> SubscribeRequest.newBuilder()
 *             .setGameId(request.pathParam("gameId").orElseThrow())
 *             .build(),
 *         stub::subscribe));
 * }</pre>
 *
 * @param <Req> the request type
 * @param <Resp> the response type
 */
public final class ServerStreamHandler<Req extends Message, Resp extends Message>
    implements WsHandler<Envelope, Envelope> {
  private final RequestParser<Req> parser;
  private final ServerStreamingCall<Req, Resp> call;
  private final GrpcWsConfig options;

  private ServerStreamHandler(
      RequestParser<Req> parser, ServerStreamingCall<Req, Resp> call, GrpcWsConfig options) {
    this.parser = Objects.requireNonNull(parser, "parser");
    this.call = Objects.requireNonNull(call, "call");
    this.options = Objects.requireNonNull(options, "options");
  }

  /** A handler with {@link GrpcWsConfig#defaults()}. */
  public static <Req extends Message, Resp extends Message> ServerStreamHandler<Req, Resp> of(
      RequestParser<Req> parser, ServerStreamingCall<Req, Resp> call) {
    return new ServerStreamHandler<>(parser, call, GrpcWsConfig.defaults());
  }

  /** A handler with explicit options. */
  public static <Req extends Message, Resp extends Message> ServerStreamHandler<Req, Resp> of(
      RequestParser<Req> parser, ServerStreamingCall<Req, Resp> call, GrpcWsConfig options) {
    return new ServerStreamHandler<>(parser, call, options);
  }

  @Override
  public GrpcBridge<Req, Resp> accept(Request request) throws Rejection {
    Req req;
    try {
      req = Objects.requireNonNull(parser.parse(request), "the request parser returned null");
    } catch (Rejection e) {
      throw e;
    } catch (Exception e) {
      throw Rejection.of(
          400, "invalid request: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
    }
    return new GrpcBridge<Req, Resp>(
        GrpcBridge.Kind.SERVER_STREAMING,
        "ServerStreamConn",
        null,
        (conn, responses) -> {
          call.start(req, responses);
          return null;
        },
        options);
  }
}
