package io.servicekit.streamable;

/**
 * Answers one request to a Streamable HTTP endpoint with either a single response or an event
 * stream — the Go library's {@code StreamableHandlerFunc}. Runs on a virtual thread of its own, so
 * it may block; the request body has already been read (and bounded by {@link
 * StreamableConfig#maxBodyBytes()}).
 *
 * <pre>{@code
 * StreamableHandler h = request -> {
 *   if (request.accept().acceptsEventStream()) {
 *     return StreamResponse.of(sink -> sink.send("progress", null, "{\"pct\":50}"));
 *   }
 *   return SingleResponse.json(200, "{\"ok\":true}");
 * };
 * }</pre>
 *
 * <p>Throwing {@link io.servicekit.Rejection} answers its status, headers and plain-text body; any
 * other exception (or a null result) answers 500 with a JSON error body and is logged.
 */
@FunctionalInterface
public interface StreamableHandler {
  /** The response to {@code request}: a {@link SingleResponse} or a {@link StreamResponse}. */
  StreamableResponse handle(StreamableRequest request) throws Exception;
}
