/**
 * gRPC streaming over WebSocket, wire-compatible with the Go library's {@code grpcws} package and
 * its browser client: {@link io.servicekit.grpc.ServerStreamHandler}, {@link
 * io.servicekit.grpc.ClientStreamHandler} and {@link io.servicekit.grpc.BidiStreamHandler} bridge a
 * WebSocket to a grpc-java call with the JSON {@link io.servicekit.grpc.Envelope}; {@link
 * io.servicekit.grpc.ProtoJsonCodec} and {@link io.servicekit.grpc.BinaryProtoCodec} carry protobuf
 * messages on any {@link io.servicekit.WsListener}. See {@code docs/grpc-websocket.md}.
 */
package io.servicekit.grpc;
