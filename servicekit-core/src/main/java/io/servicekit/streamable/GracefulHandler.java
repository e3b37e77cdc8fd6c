package io.servicekit.streamable;

import java.util.concurrent.CompletionStage;

/**
 * A {@link StreamableHandler} with work of its own to finish when its server stops gracefully
 * (running requests to answer, streams to flush). The Jetty binding ({@code StreamableServe}) calls
 * {@link #shutdown} on a graceful shutdown, before it ends the streams still open, and waits for
 * its stage. A handler that is also {@link AutoCloseable} is closed when the Jetty handler stops.
 */
public interface GracefulHandler extends StreamableHandler {
  /**
   * Begins a graceful end of what this handler holds; the stage completes when that is done. Called
   * once per graceful shutdown.
   */
  CompletionStage<?> shutdown();
}
