package io.servicekit.internal.driver;

import io.servicekit.Codec;
import org.jspecify.annotations.Nullable;

/**
 * An SSE session as {@code SseHub} and {@code ResumableStreams} see it, beyond {@link
 * io.servicekit.sse.SseSession}: the SSE driver implements it. Internal: not part of the API.
 *
 * @param <O> the session's outgoing message type
 */
public interface SseMember<O> {
  /** The session's id. */
  String id();

  /** The listener's codec (a hub encodes once per codec). */
  Codec<?, O> codec();

  /**
   * Equal for the members of one resumable stream (the same {@code ResumableStreams} and stream
   * id), or null if the endpoint is not resumable.
   */
  @Nullable Object streamKey();

  /** Queues framed bytes as they are: a direct send, a replay, a publish. */
  boolean enqueue(byte[] bytes);

  /** Whether the stream has ended ({@code onClose} is scheduled). */
  boolean isFinished();

  /** Ends the stream gracefully; false if it was not open. */
  boolean close();

  /** The stream's budget of queued bytes. */
  long maxQueuedBytes();
}
