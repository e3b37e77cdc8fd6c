package io.servicekit.bench.client;

import java.util.Arrays;

/**
 * Splits the bytes a server sends into WebSocket messages (RFC 6455 §5.2). Keeps an incomplete
 * frame between reads and joins fragmented messages; holds no buffer while nothing is pending, so
 * that ten thousand idle connections cost next to nothing on the client side.
 */
public final class FrameDecoder {
  /** Receives decoded frames. The array is only valid during the call. */
  public interface Sink {
    /** A whole text ({@code opcode} 1) or binary (2) message. */
    void message(int opcode, byte[] buf, int off, int len);

    /** A control frame: 8 close, 9 ping, 10 pong. */
    void control(int opcode, byte[] buf, int off, int len);
  }

  private byte[] pending; // an incomplete frame carried over from the last read
  private int pendingLen;
  private byte[] fragments; // payload of a fragmented message so far
  private int fragmentsLen;
  private int fragmentOpcode;

  /**
   * Decodes {@code len} bytes at {@code off}, together with whatever was left over from the last
   * call.
   *
   * @throws IllegalStateException on a protocol error (the connection should be dropped)
   */
  public void feed(byte[] buf, int off, int len, Sink sink) {
    byte[] data = buf;
    int pos = off;
    int end = off + len;
    if (pendingLen > 0) {
      byte[] joined = Arrays.copyOf(pending, pendingLen + len);
      System.arraycopy(buf, off, joined, pendingLen, len);
      data = joined;
      pos = 0;
      end = joined.length;
      pending = null;
      pendingLen = 0;
    }
    while (true) {
      int consumed = frame(data, pos, end, sink);
      if (consumed == 0) {
        break;
      }
      pos += consumed;
    }
    if (pos < end) {
      pending = Arrays.copyOfRange(data, pos, end);
      pendingLen = end - pos;
    }
  }

  /** Bytes held back waiting for the rest of a frame (for tests). */
  int pendingBytes() {
    return pendingLen;
  }

  /** Decodes one frame at {@code pos}; returns its length, or 0 if it is not complete yet. */
  private int frame(byte[] b, int pos, int end, Sink sink) {
    int avail = end - pos;
    if (avail < 2) {
      return 0;
    }
    int b0 = b[pos] & 0xff;
    int b1 = b[pos + 1] & 0xff;
    boolean fin = (b0 & 0x80) != 0;
    int opcode = b0 & 0x0f;
    boolean masked = (b1 & 0x80) != 0;
    long payload = b1 & 0x7f;
    int header = 2;
    if (payload == 126) {
      if (avail < 4) {
        return 0;
      }
      payload = ((b[pos + 2] & 0xff) << 8) | (b[pos + 3] & 0xff);
      header = 4;
    } else if (payload == 127) {
      if (avail < 10) {
        return 0;
      }
      payload = 0;
      for (int i = 0; i < 8; i++) {
        payload = (payload << 8) | (b[pos + 2 + i] & 0xff);
      }
      header = 10;
      if (payload < 0 || payload > Integer.MAX_VALUE - 64) {
        throw new IllegalStateException("frame too long: " + payload);
      }
    }
    int maskLen = masked ? 4 : 0;
    int total = header + maskLen + (int) payload;
    if (avail < total) {
      return 0;
    }
    int start = pos + header + maskLen;
    int n = (int) payload;
    if (masked) {
      for (int i = 0; i < n; i++) {
        b[start + i] ^= b[pos + header + (i & 3)];
      }
    }
    if (opcode >= 8) {
      sink.control(opcode, b, start, n);
    } else if (opcode == 0) {
      if (fragments == null) {
        throw new IllegalStateException("continuation frame without a started message");
      }
      append(b, start, n);
      if (fin) {
        byte[] whole = fragments;
        int wholeLen = fragmentsLen;
        fragments = null;
        fragmentsLen = 0;
        sink.message(fragmentOpcode, whole, 0, wholeLen);
      }
    } else if (opcode == 1 || opcode == 2) {
      if (fragments != null) {
        throw new IllegalStateException("new message while a fragmented one is open");
      }
      if (fin) {
        sink.message(opcode, b, start, n);
      } else {
        fragmentOpcode = opcode;
        fragments = new byte[Math.max(256, n * 2)];
        fragmentsLen = 0;
        append(b, start, n);
      }
    } else {
      throw new IllegalStateException("reserved opcode " + opcode);
    }
    return total;
  }

  private void append(byte[] b, int off, int n) {
    if (fragmentsLen + n > fragments.length) {
      fragments = Arrays.copyOf(fragments, Math.max(fragments.length * 2, fragmentsLen + n));
    }
    System.arraycopy(b, off, fragments, fragmentsLen, n);
    fragmentsLen += n;
  }
}
