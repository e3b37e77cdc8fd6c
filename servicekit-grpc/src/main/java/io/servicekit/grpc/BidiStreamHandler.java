package io.servicekit.grpc;

import com.google.protobuf.Message;

/**
 * Bridges {@code rpc M(stream Req) returns (stream Resp)} to a WebSocket. Both directions run at
 * once: client {@code data} envelopes go upstream, responses come back as {@code data}; {@code
 * end_send} half-closes the request side while responses keep flowing, and {@code stream_end}
 * follows when the server ends the call. The call is opened after the upgrade and sees the upgrade
 * request (path parameters, headers).
 *
 * <pre>{@code
 * server.ws("/ws/v1/{gameId}/...", BidiStreamHandler.of(PlayerAction.getDefaultInstance(), (request, responses) -> stub.syncGame(responses)));
 * }</pre>
 *
 * @param <Req> the request type
 * @param <Resp> the response type
 */
public final class BidiStreamHandler<Req extends Message, Resp extends Message>
    extends StreamingCallHandler<Req, Resp> {

  private BidiStreamHandler(Req prototype, StreamingCall<Req, Resp> call, GrpcWsConfig options) {
    super(GrpcBridge.Kind.BIDI_STREAMING, "BidiStreamConn", prototype, call, options);
  }

  /**
   * A handler with {@link GrpcWsConfig#defaults()}.
   *
   * @param prototype any instance of the request type (usually {@code getDefaultInstance()})
   */
  public static <Req extends Message, Resp extends Message> BidiStreamHandler<Req, Resp> of(
      Req prototype, StreamingCall<Req, Resp> call) {
    return new BidiStreamHandler<>(prototype, call, GrpcWsConfig.defaults());
  }

  /** A handler with explicit options. */
  public static <Req extends Message, Resp extends Message> BidiStreamHandler<Req, Resp> of(
      Req prototype, StreamingCall<Req, Resp> call, GrpcWsConfig options) {
    return new BidiStreamHandler<>(prototype, call, options);
  }
}
