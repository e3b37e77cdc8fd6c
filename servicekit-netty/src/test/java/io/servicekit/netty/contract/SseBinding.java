package io.servicekit.netty.contract;

import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseHandler;
import java.net.URI;

/**
 * The seam the SSE binding contract runs through, like {@link WsBinding}: how a test starts a
 * server with SSE routes on one binding and stops it the way that binding shuts down.
 */
public interface SseBinding {
  /** A server being configured. */
  interface Spec {
    /** Adds an SSE route. */
    <O> Spec sse(String path, SseHandler<O> handler, SseConfig config);

    /** Starts the server on a free loopback port. */
    Running start() throws Exception;
  }

  /** A started server. */
  interface Running extends AutoCloseable {
    /** {@code http://host:port}. */
    URI uri();

    /**
     * Shuts down as the binding does in production: open streams get the final {@code shutdown}
     * event and end (Netty: {@code stop()}; Jetty: {@code GracefulShutdown}). Blocks until done.
     */
    void shutDown() throws Exception;

    /** Stops the server if it still runs. */
    @Override
    void close() throws Exception;
  }

  /** A fresh server spec. */
  Spec server();

  /** A name for test reports. */
  String name();
}
