package io.servicekit.grpc;

import io.grpc.stub.StreamObserver;

/**
 * Opens a server-streaming gRPC call, usually a grpc-java async stub method: {@code
 * stub::subscribe}. See {@link StreamingCall} for flow control and cancellation.
 *
 * @param <Req> the request type
 * @param <Resp> the response type
 */
@FunctionalInterface
public interface ServerStreamingCall<Req, Resp> {
  /** Starts the call with its single request. */
  void start(Req request, StreamObserver<Resp> responses) throws Exception;
}
