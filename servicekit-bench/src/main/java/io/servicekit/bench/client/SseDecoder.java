package io.servicekit.bench.client;

import java.util.Arrays;

/**
 * Incremental decoder of one Server-Sent Events response body, fed whatever each read returned:
 * first the HTTP/1.1 chunked transfer coding (when the response uses it), then the event stream
 * (WHATWG HTML §9.2): one leading UTF-8 BOM is ignored; lines end with LF, CRLF or CR; a blank line
 * ends an event; {@code data:} lines are joined with LF; comments ({@code ": ..."}) and the other
 * fields are skipped. An event is handed on only if it had at least one {@code data} line, as a
 * browser does.
 *
 * <p>Not thread-safe: one decoder per stream, fed by the selector thread.
 */
public final class SseDecoder {
  /** Receives the data of each whole event. */
  public interface Sink {
    /** An event's data ({@code len} bytes at {@code off}), valid only during the call. */
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

  private byte[] line = new byte[512];
  private int lineLen;
  private boolean lastWasCr;
  private boolean firstLine = true;
  private byte[] data = new byte[512];
  private int dataLen;
  private boolean hasData;
  private long events;
  private long comments;

  /** A decoder for a body with ({@code chunked}) or without a transfer coding. */
  public SseDecoder(boolean chunked) {
    this.chunked = chunked;
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
   * @throws IllegalStateException on a malformed chunk header
   */
  public void feed(byte[] buf, int off, int len, Sink sink) {
    if (!chunked) {
      stream(buf, off, len, sink);
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
          stream(buf, i, n, sink);
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

  /** The event-stream layer. */
  private void stream(byte[] buf, int off, int len, Sink sink) {
    for (int i = off, end = off + len; i < end; i++) {
      byte b = buf[i];
      if (b == '\n') {
        if (lastWasCr) {
          lastWasCr = false; // the LF of a CRLF
        } else {
          line(sink);
        }
      } else if (b == '\r') {
        lastWasCr = true;
        line(sink);
      } else {
        lastWasCr = false;
        if (lineLen == line.length) {
          line = Arrays.copyOf(line, line.length * 2);
        }
        line[lineLen++] = b;
      }
    }
  }

  private void line(Sink sink) {
    int len = lineLen;
    lineLen = 0;
    if (firstLine) {
      firstLine = false;
      if (len >= 3 && line[0] == (byte) 0xEF && line[1] == (byte) 0xBB && line[2] == (byte) 0xBF) {
        len -= 3; // one leading UTF-8 BOM is ignored
        System.arraycopy(line, 3, line, 0, len);
      }
    }
    if (len == 0) {
      if (hasData) {
        events++;
        sink.event(data, 0, dataLen);
      }
      hasData = false;
      dataLen = 0;
      return;
    }
    if (line[0] == ':') {
      comments++;
      return;
    }
    int colon = 0;
    while (colon < len && line[colon] != ':') {
      colon++;
    }
    if (colon != 4 || line[0] != 'd' || line[1] != 'a' || line[2] != 't' || line[3] != 'a') {
      return; // event, id, retry or an unknown field: not needed here
    }
    int value = colon + 1;
    if (value < len && line[value] == ' ') {
      value++;
    }
    int n = Math.max(0, len - value);
    if (dataLen + n + 1 > data.length) {
      data = Arrays.copyOf(data, Math.max(data.length * 2, dataLen + n + 1));
    }
    if (hasData) {
      data[dataLen++] = '\n';
    }
    System.arraycopy(line, value, data, dataLen, n);
    dataLen += n;
    hasData = true;
  }
}
