package io.servicekit.client;

import io.servicekit.sse.SseParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpHeaders;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The answer to a {@link StreamableClient} POST: one JSON body ({@link Json}), an event stream
 * ({@link Events}), or a 2xx without a body ({@link Empty}, e.g. 202 for a notification).
 */
public sealed interface StreamableResponse extends AutoCloseable
    permits StreamableResponse.Json, StreamableResponse.Events, StreamableResponse.Empty {
  /** The HTTP status. */
  int status();

  /** The response headers. */
  HttpHeaders headers();

  /** The first value of header {@code name} (e.g. {@code Mcp-Session-Id}). */
  default Optional<String> header(String name) {
    return headers().firstValue(name);
  }

  /** Releases the connection (only an {@link Events} stream holds one). */
  @Override
  default void close() {}

  /**
   * A JSON body.
   *
   * @param status the HTTP status
   * @param headers the response headers
   * @param body the body text
   * @param mapper the mapper {@link #as} reads with
   */
  record Json(int status, HttpHeaders headers, String body, JsonMapper mapper)
      implements StreamableResponse {
    /** The body as plain Java values (maps, lists, strings, numbers, booleans, null). */
    public Object value() {
      return as(Object.class);
    }

    /**
     * The body read as {@code type}.
     *
     * @throws IllegalStateException if it does not parse as one
     */
    public <T> T as(Class<T> type) {
      try {
        return mapper.readValue(body, type);
      } catch (JacksonException e) {
        throw new IllegalStateException(
            "response body is not a valid " + type.getSimpleName() + ": " + e.getOriginalMessage(),
            e);
      }
    }
  }

  /**
   * A 2xx answer without a body.
   *
   * @param status the HTTP status
   * @param headers the response headers
   */
  record Empty(int status, HttpHeaders headers) implements StreamableResponse {}

  /**
   * A {@code text/event-stream} answer, read as the caller iterates: {@link #next()} blocks until
   * the next event arrives; {@link #hasNext()} is false once the server ends the stream. Close it
   * to abandon the stream early (try-with-resources). Not thread-safe; one reader.
   */
  final class Events implements StreamableResponse, Iterator<SseParser.Event> {
    private final int status;
    private final HttpHeaders headers;
    private final InputStream in;
    private final SseParser parser;
    private final ArrayDeque<SseParser.Event> ready = new ArrayDeque<>();
    private final byte[] buf = new byte[8192];
    private boolean eof;

    Events(int status, HttpHeaders headers, InputStream in, int maxLineBytes, int maxEventBytes) {
      this.status = status;
      this.headers = headers;
      this.in = in;
      this.parser = new SseParser(ready::add, "", maxLineBytes, maxEventBytes);
    }

    @Override
    public int status() {
      return status;
    }

    @Override
    public HttpHeaders headers() {
      return headers;
    }

    /**
     * Whether another event follows, reading the stream as needed (blocks).
     *
     * @throws UncheckedIOException if reading fails
     * @throws SseParser.LimitException if a line or event is over the client's limits
     */
    @Override
    public boolean hasNext() {
      while (ready.isEmpty() && !eof) {
        int n;
        try {
          n = in.read(buf);
        } catch (IOException e) {
          eof = true;
          throw new UncheckedIOException("event stream broke: " + e.getMessage(), e);
        }
        if (n < 0) {
          eof = true;
          parser.end();
          close();
        } else {
          parser.feed(buf, 0, n);
        }
      }
      return !ready.isEmpty();
    }

    @Override
    public SseParser.Event next() {
      if (!hasNext()) {
        throw new NoSuchElementException("the event stream has ended");
      }
      return ready.poll();
    }

    /** The remaining events as a sequential stream (closing it closes the response). */
    public Stream<SseParser.Event> stream() {
      return StreamSupport.stream(
              Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL),
              false)
          .onClose(this::close);
    }

    @Override
    public void close() {
      try {
        in.close();
      } catch (IOException ignored) {
        // nothing more to release
      }
    }
  }
}
