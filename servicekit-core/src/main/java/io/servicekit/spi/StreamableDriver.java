package io.servicekit.spi;

import io.servicekit.Request;
import io.servicekit.internal.driver.StreamableStream;
import io.servicekit.streamable.StreamResponse;
import io.servicekit.streamable.StreamSession;
import io.servicekit.streamable.StreamableConfig;

/**
 * The driver of one streamed Streamable HTTP response ({@link StreamResponse}), as a server binding
 * sees it: the binding creates one per streamed response, sets the status and headers, calls {@link
 * #open} with its {@link SseTransport}, and reports the response's failure; the driver runs the
 * producer on a virtual thread, the bounded queue, keepalives and the write timeout. The producer
 * sees only its {@link #session()}.
 */
public interface StreamableDriver {
  /**
   * A driver in state {@code NEW}.
   *
   * @param request the request the stream answers
   * @param name what logs call this stream, e.g. {@code "POST /mcp"}
   */
  static StreamableDriver create(StreamableConfig config, Request request, String name) {
    return new StreamableStream(config, request, name);
  }

  /** The session the producer writes to (the same object for the driver's whole life). */
  StreamSession session();

  /**
   * The response is ready (status and headers set, nothing written): commits it, starts keepalives
   * and runs {@code producer} on a virtual thread.
   *
   * @throws IllegalStateException if called twice
   */
  void open(SseTransport transport, StreamResponse.Producer producer);

  /** The response failed underneath: the client went away, or the server is stopping. */
  void onTransportFailure(Throwable cause);
}
