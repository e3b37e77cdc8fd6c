package io.servicekit.spi;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Receives connection and stream events for metrics, so that the core depends on no metrics
 * library. Bindings call it; {@code io.servicekit.jetty.metrics.MicrometerMetrics} turns the events
 * into Micrometer meters. Every method has an empty default, so an implementation overrides what it
 * needs. Calls come from any thread and must not block.
 *
 * <p>{@code route} is always a route <em>pattern</em> ({@code /rooms/{room}}, {@code /echo}), never
 * a raw path, so the number of distinct values stays bounded.
 */
public interface MetricsListener {
  /** A listener that records nothing. */
  MetricsListener NOOP = new MetricsListener() {};

  /** The kind of long-lived connection. */
  enum Kind {
    /** A WebSocket connection. */
    WEBSOCKET,
    /** A Server-Sent Events stream. */
    SSE;

    /** Lower-case tag value: {@code websocket} or {@code sse}. */
    public String tag() {
      return this == WEBSOCKET ? "websocket" : "sse";
    }
  }

  /**
   * A route of {@code kind} exists: called once per route when the server is built, before any
   * connection, so that its meters can show zero values from the start.
   */
  default void routeAdded(Kind kind, String route) {}

  /**
   * A handshake was refused before the upgrade; {@code reason} is a short stable word such as
   * {@code origin}, {@code method}, {@code version}, {@code bad_key}, {@code rejected}, {@code
   * error}.
   */
  default void handshakeRejected(String route, String reason) {}

  /** A connection or stream opened. */
  default void opened(Kind kind, String route) {}

  /**
   * A connection or stream ended with close {@code code} (SSE streams report 1000 when ended by the
   * server, 1001 when the client went away) after {@code lifetime}.
   */
  default void closed(Kind kind, String route, int code, Duration lifetime) {}

  /** One message of {@code bytes} received. */
  default void messageIn(Kind kind, String route, long bytes) {}

  /** One message of {@code bytes} written. */
  default void messageOut(Kind kind, String route, long bytes) {}

  /** {@code count} messages discarded by a drop policy. */
  default void dropped(Kind kind, String route, long count) {}

  /** A connection was closed because it read too slowly (slow consumer, write timeout). */
  default void slowConsumerClosed(Kind kind, String route) {}

  /** An error of {@code type} (e.g. {@code transport}, {@code internal}) on a connection. */
  default void error(Kind kind, String route, String type) {}

  /**
   * Registers a reading of the bytes queued for sending on the open connections of {@code route}.
   * Called once per route when it starts.
   */
  default void queuedBytes(Kind kind, String route, LongSupplier bytes) {}
}
