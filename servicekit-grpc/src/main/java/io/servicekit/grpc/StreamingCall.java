package io.servicekit.grpc;

import io.grpc.stub.StreamObserver;
import io.servicekit.Request;

/**
 * Opens a client-streaming or bidirectional gRPC call, usually with a grpc-java async stub:
 *
 * <pre>{@code
 * StreamingCall<PlayerAction, GameState> sync = (request, responses) -> stub.syncGame(responses);
 * }</pre>
 *
 * <p>{@code request} is the WebSocket upgrade request (path parameters, query, headers), so the
 * call can be routed or carry metadata (e.g. {@code stub.withInterceptors(...)}). The bridge passes
 * a {@link io.grpc.stub.ClientResponseObserver}, so a stub call gives it flow control and
 * cancellation; the call is started inside a cancellable gRPC {@link io.grpc.Context} that the
 * bridge cancels when the client cancels or goes away.
 *
 * @param <Req> the request type
 * @param <Resp> the response type
 */
@FunctionalInterface
public interface StreamingCall<Req, Resp> {
  /** Starts the call and returns its request stream. */
  StreamObserver<Req> start(Request request, StreamObserver<Resp> responses) throws Exception;
}
