package io.servicekit;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One whole WebSocket data message as it travels between a {@link Codec} and the transport: text or
 * binary. Control frames (ping, pong, close) never appear as a {@code Message}.
 */
public sealed interface Message {
  /** Text or binary, with the same numbers as the RFC 6455 opcodes. */
  enum Type {
    TEXT(1),
    BINARY(2);

    private final int opcode;

    Type(int opcode) {
      this.opcode = opcode;
    }

    public int opcode() {
      return opcode;
    }
  }

  Type type();

  /** Size in bytes on the wire (payload only), used for queue accounting. */
  int size();

  /** A text frame. */
  static Text text(String text) {
    return new Text(text);
  }

  /** A binary frame; the array is not copied and must not be changed afterwards. */
  static Binary binary(byte[] bytes) {
    return new Binary(bytes);
  }

  /** A text message. {@link #size()} counts UTF-8 bytes (estimated for non-ASCII text). */
  record Text(String text) implements Message {
    public Text {
      if (text == null) {
        throw new IllegalArgumentException("text frame payload must not be null");
      }
    }

    @Override
    public Type type() {
      return Type.TEXT;
    }

    @Override
    public int size() {
      // An upper bound that needs no encoding pass: a UTF-16 unit is at most 3 UTF-8 bytes.
      // Exact for ASCII-heavy payloads is not needed; the budget is a bound, not an invoice.
      return text.length();
    }

    /** The UTF-8 bytes of the text. */
    public byte[] bytes() {
      return text.getBytes(StandardCharsets.UTF_8);
    }
  }

  /** A binary message. */
  record Binary(byte[] bytes) implements Message {
    public Binary {
      if (bytes == null) {
        throw new IllegalArgumentException("binary frame payload must not be null");
      }
    }

    @Override
    public Type type() {
      return Type.BINARY;
    }

    @Override
    public int size() {
      return bytes.length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Binary b && Arrays.equals(bytes, b.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return "Binary[" + bytes.length + " bytes]";
    }
  }
}
