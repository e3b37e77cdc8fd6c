package io.servicekit.grpc;

import com.google.protobuf.Message;
import io.servicekit.Request;
import io.servicekit.WsHandler;
import java.util.Objects;

/**
 * What the client-streaming and bidirectional handlers share: the call is opened after the upgrade,
 * sees the upgrade request, and gets the stream of requests the browser sends.
 */
abstract class StreamingCallHandler<Req extends Message, Resp extends Message>
    implements WsHandler<Envelope, Envelope> {
  private final GrpcBridge.Kind kind;
  private final String name;
  private final Req prototype;
  private final StreamingCall<Req, Resp> call;
  private final GrpcWsConfig options;

  StreamingCallHandler(
      GrpcBridge.Kind kind,
      String name,
      Req prototype,
      StreamingCall<Req, Resp> call,
      GrpcWsConfig options) {
    this.kind = kind;
    this.name = name;
    this.prototype = Objects.requireNonNull(prototype, "prototype");
    this.call = Objects.requireNonNull(call, "call");
    this.options = Objects.requireNonNull(options, "options");
  }

  @Override
  public final GrpcBridge<Req, Resp> accept(Request request) {
    return new GrpcBridge<Req, Resp>(
        kind,
        name,
        prototype,
        (conn, responses) ->
            Objects.requireNonNull(
                call.start(request, responses), "the call returned no request stream"),
        options);
  }
}
