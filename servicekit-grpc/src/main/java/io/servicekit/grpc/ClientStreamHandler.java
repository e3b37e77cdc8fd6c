package io.servicekit.grpc;

import com.google.protobuf.Message;

/**
 * Bridges {@code rpc M(stream Req) returns (Resp)} to a WebSocket. Each client {@code data}
 * envelope is parsed as a {@code Req} and sent upstream; {@code end_send} half-closes, and the
 * single response comes back as {@code data} followed by {@code stream_end}. Nothing blocks while
 * the server works on the response. The call is opened after the upgrade and sees the upgrade
 * request (path parameters, headers).
 *
 * <pre>{@code
 * server.ws("/ws/v1/{gameId}/...", ClientStreamHandler.of(GameCommand.getDefaultInstance(), (request, responses) -> stub.sendCommands(responses)));
 * }</pre>
 *
 * @param <Req> the request type
 * @param <Resp> the response type
 */
public final class ClientStreamHandler<Req extends Message, Resp extends Message>
    extends StreamingCallHandler<Req, Resp> {

  private ClientStreamHandler(Req prototype, StreamingCall<Req, Resp> call, GrpcWsConfig options) {
    super(GrpcBridge.Kind.CLIENT_STREAMING, "ClientStreamConn", prototype, call, options);
  }

  /**
   * A handler with {@link GrpcWsConfig#defaults()}.
   *
   * @param prototype any instance of the request type (usually {@code getDefaultInstance()})
   */
  public static <Req extends Message, Resp extends Message> ClientStreamHandler<Req, Resp> of(
      Req prototype, StreamingCall<Req, Resp> call) {
    return new ClientStreamHandler<>(prototype, call, GrpcWsConfig.defaults());
  }

  /** A handler with explicit options. */
  public static <Req extends Message, Resp extends Message> ClientStreamHandler<Req, Resp> of(
      Req prototype, StreamingCall<Req, Resp> call, GrpcWsConfig options) {
    return new ClientStreamHandler<>(prototype, call, options);
  }
}
