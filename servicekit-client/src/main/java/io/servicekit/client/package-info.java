/**
 * Java clients for ServiceKit endpoints, built on the JDK's {@code java.net.http} (no other runtime
 * dependency than servicekit-core): {@link io.servicekit.client.WsClient} (typed, reconnecting
 * WebSocket with auto-pong), {@link io.servicekit.client.SseClient} (Server-Sent Events with {@code
 * Last-Event-ID} resumption), {@link io.servicekit.client.StreamableClient} (POST answered with
 * JSON or an event stream) and {@link io.servicekit.client.GrpcWsClient} (the gRPC-over-WebSocket
 * envelope).
 */
package io.servicekit.client;
