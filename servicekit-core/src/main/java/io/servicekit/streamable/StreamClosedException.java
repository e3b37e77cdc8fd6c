package io.servicekit.streamable;

import io.servicekit.ServiceKitException;

/**
 * Thrown by {@link StreamSession} methods once the stream cannot take more events: the client went
 * away, a write failed or timed out, or the stream was closed (by {@link StreamSession#close()} or
 * because the producer returned). Unchecked, so that a producer loop needs no handling: letting it
 * propagate out of {@link StreamResponse.Producer#produce} ends the producer, which is the point —
 * no producer stays blocked on a stream nobody reads.
 */
public class StreamClosedException extends ServiceKitException {
  public StreamClosedException(String message) {
    super(message);
  }
}
