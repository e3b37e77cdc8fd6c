package io.servicekit.bench.client;

import io.servicekit.sse.SseParser;
import java.nio.charset.StandardCharsets;

/**
 * Incremental decoder of one Server-Sent Events response body, fed whatever each read returned:
 * first the HTTP/1.1 chunked transfer coding (when the response uses it), then the event stream,
 * read by the library's {@link SseParser} (with its default limits). An event is handed on only if
 * it had at least one {@code data} line, as a browser does.
 *
 * <p>Not thread-safe: one decoder per stream, fed by the selector thread.
 */
public final class SseDecoder {
  /** Receives the data of each whole event. */
  public interface Sink {
    /** An event's data ({@code len} bytes of UTF-8 at {@code off}), valid only during the call. */
    void event(byte[] buf, int off, int len);
  }

  private static final int SIZE = 0; // reading a chunk-size line
  private static final int EXTENSION = 1; // skipping a chunk extension up to LF
  private static final int DATA = 2; // inside a chunk
  private static final int DATA_END = 3; // the CRLF after a chunk's data
  private static final int DONE = 4; // after the last (zero-size) chunk

  private final boolean chunked;
  private int state = SIZE;
  private long chunkLeft;
  private long size;
  private int sizeDigits;

  private final SseParser parser;
  private Sink sink; // the sink of the feed in progress
  private long events;
  private long comments;

  /** A decoder for a body with ({@code chunked}) or without a transfer coding. */
  public SseDecoder(boolean chunked) {
    this.chunked = chunked;
    this.parser =
        new SseParser(
            new SseParser.Listener() {
              @Override
              public void onEvent(SseParser.Event e) {
                events++;
                byte[] data = e.data().getBytes(StandardCharsets.UTF_8);
                sink.event(data, 0, data.length);
              }

              @Override
              public void onComment(String comment) {
                comments++;
              }
            });
  }

  /** Events handed to a sink so far. */
  public long events() {
    return events;
  }

  /** Comment lines seen so far (keepalives, for instance). */
  public long comments() {
    return comments;
  }

  /** Whether the last chunk (the end of the response) has been read. */
  public boolean ended() {
    return state == DONE;
  }

  /**
   * Decodes {@code len} bytes at {@code off}, calling {@code sink} for each event they complete.
   *
   * @throws IllegalStateException on a malformed chunk header, or a line or event over the parser's
   *     limits ({@link SseParser.LimitException})
   */
  public void feed(byte[] buf, int off, int len, Sink sink) {
    this.sink = sink;
    if (!chunked) {
      parser.feed(buf, off, len);
      return;
    }
    int end = off + len;
    int i = off;
    while (i < end) {
      switch (state) {
        case SIZE -> {
          byte b = buf[i++];
          int digit = Character.digit(b, 16);
          if (digit >= 0) {
            if (++sizeDigits > 15) {
              throw new IllegalStateException("chunk size too long");
            }
            size = size * 16 + digit;
          } else if (b == '\r') {
            // the LF follows
          } else if (b == '\n') {
            if (sizeDigits == 0) {
              throw new IllegalStateException("chunk size line without a size");
            }
            startChunk();
          } else if (b == ';' || b == ' ' || b == '\t') {
            state = EXTENSION;
          } else {
            throw new IllegalStateException("bad byte in chunk size line: " + (b & 0xff));
          }
        }
        case EXTENSION -> {
          if (buf[i++] == '\n') {
            if (sizeDigits == 0) {
              throw new IllegalStateException("chunk size line without a size");
            }
            startChunk();
          }
        }
        case DATA -> {
          int n = (int) Math.min(chunkLeft, end - i);
          parser.feed(buf, i, n);
          i += n;
          chunkLeft -= n;
          if (chunkLeft == 0) {
            state = DATA_END;
          }
        }
        case DATA_END -> {
          byte b = buf[i++];
          if (b == '\n') {
            state = SIZE;
          } else if (b != '\r') {
            throw new IllegalStateException("chunk data not followed by CRLF: " + (b & 0xff));
          }
        }
        default -> i = end; // DONE: ignore trailers and anything after
      }
    }
  }

  private void startChunk() {
    if (size == 0) {
      state = DONE;
    } else {
      chunkLeft = size;
      state = DATA;
    }
    size = 0;
    sizeDigits = 0;
  }
}
