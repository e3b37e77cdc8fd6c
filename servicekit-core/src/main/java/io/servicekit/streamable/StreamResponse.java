package io.servicekit.streamable;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An event stream: the binding answers {@code status} with {@code Content-Type: text/event-stream},
 * {@code Cache-Control: no-cache}, {@code X-Accel-Buffering: no} (and {@code Connection:
 * keep-alive} on HTTP/1.1) plus {@link #headers()}, then runs the {@link Producer} on a virtual
 * thread of its own. The stream ends when the producer returns (after everything it sent is
 * written), when it throws (logged; what it sent is still written), or when the client goes away —
 * the producer then learns it from {@link StreamSession} (see {@link StreamClosedException}).
 *
 * @param status 200-299 (the stream is a success response)
 * @param headers extra headers (copied; names and values without CR/LF)
 * @param producer writes the events
 */
public record StreamResponse(int status, Map<String, List<String>> headers, Producer producer)
    implements StreamableResponse {
  /** Writes the events of one stream. */
  @FunctionalInterface
  public interface Producer {
    /**
     * Sends events to {@code sink}; returning ends the stream cleanly, throwing ends it too (and is
     * logged). Runs on its own virtual thread; may block.
     */
    void produce(StreamSession sink) throws Exception;
  }

  public StreamResponse {
    if (status < 200 || status > 299) {
      throw new IllegalArgumentException("StreamResponse status must be 200-299: " + status);
    }
    headers = StreamableResponse.copyHeaders(headers);
    Objects.requireNonNull(producer, "producer");
  }

  /** A 200 stream fed by {@code producer}. */
  public static StreamResponse of(Producer producer) {
    return new StreamResponse(200, Map.of(), producer);
  }

  /** This response with one more header value. */
  public StreamResponse withHeader(String name, String value) {
    return new StreamResponse(
        status, StreamableResponse.withHeader(headers, name, value), producer);
  }
}
