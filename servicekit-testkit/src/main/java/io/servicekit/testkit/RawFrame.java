package io.servicekit.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One RFC 6455 frame exactly as it goes on the wire, including frames no correct endpoint would
 * send: any FIN/RSV bits, any of the 16 opcodes, masked or not, with a 7-, 16- or 64-bit length
 * field of the caller's choosing (also non-minimal ones) and even a declared length that differs
 * from the payload. Used by {@link RawWsClient} to write client frames and to return the frames it
 * reads.
 *
 * <p>Instances are immutable; the {@code with*}-style methods return changed copies. The static
 * factories build a well-formed client frame: FIN set, no RSV bits, masked with a fresh random key,
 * minimal length encoding.
 *
 * <pre>{@code
 * RawFrame.text("Hel").fin(false);                       // first fragment
 * RawFrame.continuation("lo".getBytes(UTF_8));            // last fragment
 * RawFrame.binary(new byte[5]).length(RawFrame.Length.BITS_64); // non-minimal length
 * RawFrame.text("x").unmasked();                          // protocol error from a client
 * RawFrame.binary(new byte[0]).declaredLength(Long.MIN_VALUE);  // 64-bit length with the MSB set
 * }</pre>
 */
public final class RawFrame {
  /** Opcode 0x0: continuation frame. */
  public static final int CONTINUATION = 0x0;

  /** Opcode 0x1: text frame. */
  public static final int TEXT = 0x1;

  /** Opcode 0x2: binary frame. */
  public static final int BINARY = 0x2;

  /** Opcode 0x8: connection close. */
  public static final int CLOSE = 0x8;

  /** Opcode 0x9: ping. */
  public static final int PING = 0x9;

  /** Opcode 0xA: pong. */
  public static final int PONG = 0xA;

  /** RSV1 as a value for {@link #rsv(int)}. */
  public static final int RSV1 = 0b100;

  /** RSV2 as a value for {@link #rsv(int)}. */
  public static final int RSV2 = 0b010;

  /** RSV3 as a value for {@link #rsv(int)}. */
  public static final int RSV3 = 0b001;

  private static final SecureRandom RANDOM = new SecureRandom();

  /** How the payload length is written (RFC 6455 §5.2). */
  public enum Length {
    /** The shortest form, as RFC 6455 requires: 7 bits up to 125, 16 bits up to 65535, else 64. */
    MINIMAL,
    /** The 7-bit form only (lengths 0-125). */
    BITS_7,
    /** Marker 126 followed by a 16-bit length, whatever the payload size (lengths 0-65535). */
    BITS_16,
    /** Marker 127 followed by a 64-bit length, whatever the payload size. */
    BITS_64
  }

  private final boolean fin;
  private final int rsv;
  private final int opcode;
  private final byte[] payload;
  private final boolean masked;
  private final byte @Nullable [] maskKey; // null: a fresh random key per encode()
  private final Length length;
  private final @Nullable Long declaredLength; // null: payload.length

  private RawFrame(
      boolean fin,
      int rsv,
      int opcode,
      byte[] payload,
      boolean masked,
      byte @Nullable [] maskKey,
      Length length,
      @Nullable Long declaredLength) {
    this.fin = fin;
    this.rsv = rsv;
    this.opcode = opcode;
    this.payload = payload;
    this.masked = masked;
    this.maskKey = maskKey;
    this.length = length;
    this.declaredLength = declaredLength;
  }

  // ------------------------------------------------------------------ factories

  /**
   * A final, masked frame with {@code opcode} (0-15, reserved ones included) and {@code payload}.
   */
  public static RawFrame of(int opcode, byte[] payload) {
    checkOpcode(opcode);
    return new RawFrame(true, 0, opcode, payload.clone(), true, null, Length.MINIMAL, null);
  }

  /** A text frame with the UTF-8 bytes of {@code text}. */
  public static RawFrame text(String text) {
    return of(TEXT, text.getBytes(StandardCharsets.UTF_8));
  }

  /** A text frame with {@code bytes} as payload, valid UTF-8 or not. */
  public static RawFrame text(byte[] bytes) {
    return of(TEXT, bytes);
  }

  /** A binary frame. */
  public static RawFrame binary(byte[] bytes) {
    return of(BINARY, bytes);
  }

  /** A continuation frame (final unless {@link #fin(boolean) fin(false)} is applied). */
  public static RawFrame continuation(byte[] bytes) {
    return of(CONTINUATION, bytes);
  }

  /** A ping frame. */
  public static RawFrame ping(byte[] payload) {
    return of(PING, payload);
  }

  /** A pong frame. */
  public static RawFrame pong(byte[] payload) {
    return of(PONG, payload);
  }

  /**
   * A close frame with a 2-byte {@code code} (any value 0-65535, valid or not) and a UTF-8 {@code
   * reason}.
   */
  public static RawFrame close(int code, String reason) {
    if (code < 0 || code > 0xFFFF) {
      throw new IllegalArgumentException("close code must fit in 16 bits: " + code);
    }
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    byte[] p = new byte[2 + r.length];
    p[0] = (byte) (code >>> 8);
    p[1] = (byte) code;
    System.arraycopy(r, 0, p, 2, r.length);
    return of(CLOSE, p);
  }

  /** A close frame with {@code payload} exactly as given (empty, 1 byte, bad UTF-8...). */
  public static RawFrame closePayload(byte[] payload) {
    return of(CLOSE, payload);
  }

  /**
   * A frame as received from a server: never masked, length as declared by the payload. Used by
   * {@link RawWsClient} and {@link #decode(byte[])}.
   */
  static RawFrame received(boolean fin, int rsv, int opcode, boolean masked, byte[] payload) {
    return new RawFrame(fin, rsv, opcode, payload, masked, null, Length.MINIMAL, null);
  }

  // ------------------------------------------------------------------ modifiers

  /** A copy with the FIN bit set or cleared. */
  public RawFrame fin(boolean fin) {
    return new RawFrame(fin, rsv, opcode, payload, masked, maskKey, length, declaredLength);
  }

  /**
   * A copy with the three RSV bits set to {@code bits} (0-7; {@link #RSV1} is the highest). Without
   * a negotiated extension any RSV bit is a protocol error.
   */
  public RawFrame rsv(int bits) {
    if (bits < 0 || bits > 7) {
      throw new IllegalArgumentException("RSV bits must be 0-7: " + bits);
    }
    return new RawFrame(fin, bits, opcode, payload, masked, maskKey, length, declaredLength);
  }

  /** A copy with another opcode (0-15). */
  public RawFrame opcode(int opcode) {
    checkOpcode(opcode);
    return new RawFrame(fin, rsv, opcode, payload, masked, maskKey, length, declaredLength);
  }

  /** A copy without mask: a client must mask every frame, so a server must refuse this one. */
  public RawFrame unmasked() {
    return new RawFrame(fin, rsv, opcode, payload, false, null, length, declaredLength);
  }

  /** A copy masked with the given 4-byte key (deterministic output, e.g. RFC 6455 examples). */
  public RawFrame maskKey(byte[] key) {
    if (key.length != 4) {
      throw new IllegalArgumentException("mask key must be 4 bytes: " + key.length);
    }
    return new RawFrame(fin, rsv, opcode, payload, true, key.clone(), length, declaredLength);
  }

  /** A copy whose length field is written in {@code encoding}. */
  public RawFrame length(Length encoding) {
    RawFrame f =
        new RawFrame(
            fin,
            rsv,
            opcode,
            payload,
            masked,
            maskKey,
            Objects.requireNonNull(encoding),
            declaredLength);
    f.checkLength(f.lengthValue());
    return f;
  }

  /**
   * A copy whose length field says {@code declared} instead of the payload's size; the payload is
   * still written as it is. In the 64-bit form the value is written as raw 64 bits, so a negative
   * value sets the most significant bit, which RFC 6455 §5.2 forbids. With {@link Length#MINIMAL}
   * the form is chosen from {@code declared} (negative: 64 bits).
   */
  public RawFrame declaredLength(long declared) {
    RawFrame f = new RawFrame(fin, rsv, opcode, payload, masked, maskKey, length, declared);
    f.checkLength(declared);
    return f;
  }

  // ------------------------------------------------------------------ accessors

  /** Whether the FIN bit is set. */
  public boolean fin() {
    return fin;
  }

  /** The RSV bits (0-7). */
  public int rsv() {
    return rsv;
  }

  /** The opcode (0-15). */
  public int opcode() {
    return opcode;
  }

  /** Whether the frame is (or was, when received) masked. */
  public boolean masked() {
    return masked;
  }

  /** A copy of the payload (unmasked). */
  public byte[] payload() {
    return payload.clone();
  }

  /** The payload size in bytes. */
  public int payloadLength() {
    return payload.length;
  }

  /** The payload decoded as UTF-8 (malformed input replaced). */
  public String text() {
    return new String(payload, StandardCharsets.UTF_8);
  }

  /** Whether this is a close frame. */
  public boolean isClose() {
    return opcode == CLOSE;
  }

  /** Whether this is a control frame (opcode 8-15). */
  public boolean isControl() {
    return (opcode & 0x8) != 0;
  }

  /**
   * For a close frame: the status code, or 1005 (no status) for an empty payload, or -1 for a
   * payload of one byte (malformed).
   */
  public int closeCode() {
    if (opcode != CLOSE) {
      throw new IllegalStateException("not a close frame: opcode " + opcode);
    }
    if (payload.length == 0) {
      return 1005;
    }
    if (payload.length == 1) {
      return -1;
    }
    return ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
  }

  /** For a close frame: the reason (UTF-8), or an empty string. */
  public String closeReason() {
    if (opcode != CLOSE) {
      throw new IllegalStateException("not a close frame: opcode " + opcode);
    }
    return payload.length <= 2
        ? ""
        : new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------ wire format

  /**
   * The frame's bytes: header, length field, mask key (a fresh random one unless set with {@link
   * #maskKey}) and the (masked) payload.
   */
  public byte[] encode() {
    long len = lengthValue();
    ByteArrayOutputStream out = new ByteArrayOutputStream(14 + payload.length);
    out.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
    int maskBit = masked ? 0x80 : 0;
    switch (form(len)) {
      case BITS_7 -> out.write(maskBit | (int) len);
      case BITS_16 -> {
        out.write(maskBit | 126);
        out.write((int) (len >>> 8) & 0xFF);
        out.write((int) len & 0xFF);
      }
      default -> {
        out.write(maskBit | 127);
        for (int shift = 56; shift >= 0; shift -= 8) {
          out.write((int) (len >>> shift) & 0xFF);
        }
      }
    }
    if (!masked) {
      out.writeBytes(payload);
      return out.toByteArray();
    }
    byte[] key = maskKey;
    if (key == null) {
      key = new byte[4];
      RANDOM.nextBytes(key);
    }
    out.writeBytes(key);
    byte[] body = new byte[payload.length];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) (payload[i] ^ key[i & 3]);
    }
    out.writeBytes(body);
    return out.toByteArray();
  }

  /** Encodes several frames into one byte array, to be written at once. */
  public static byte[] encodeAll(RawFrame... frames) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (RawFrame f : frames) {
      out.writeBytes(f.encode());
    }
    return out.toByteArray();
  }

  /**
   * Decodes exactly one complete frame (masked or not); the declared length must match the bytes.
   *
   * @throws IllegalArgumentException if {@code bytes} is not exactly one frame
   */
  public static RawFrame decode(byte[] bytes) {
    long total = frameLength(bytes, 0, bytes.length);
    if (total != bytes.length) {
      throw new IllegalArgumentException(
          "not exactly one frame: "
              + bytes.length
              + " bytes given, header says "
              + (total < 0 ? "incomplete" : total));
    }
    return decode(bytes, 0);
  }

  /**
   * The total size of the frame starting at {@code off}, or -1 if fewer than its header's bytes are
   * available in {@code b[off, off+len)}. Throws for a length that cannot be held in memory.
   */
  static long frameLength(byte[] b, int off, int len) {
    if (len < 2) {
      return -1;
    }
    boolean masked = (b[off + 1] & 0x80) != 0;
    int len7 = b[off + 1] & 0x7F;
    int header = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
    if (len < header) {
      return -1;
    }
    long payloadLength;
    if (len7 == 126) {
      payloadLength = ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    } else if (len7 == 127) {
      payloadLength = 0;
      for (int i = 0; i < 8; i++) {
        payloadLength = (payloadLength << 8) | (b[off + 2 + i] & 0xFF);
      }
      if (payloadLength < 0 || payloadLength > Integer.MAX_VALUE - 14) {
        throw new IllegalStateException("frame length too large to read: " + payloadLength);
      }
    } else {
      payloadLength = len7;
    }
    return header + payloadLength;
  }

  /** Decodes the complete frame at {@code off} (its bytes must all be present). */
  static RawFrame decode(byte[] b, int off) {
    boolean fin = (b[off] & 0x80) != 0;
    int rsv = (b[off] >>> 4) & 0x7;
    int opcode = b[off] & 0xF;
    boolean masked = (b[off + 1] & 0x80) != 0;
    int len7 = b[off + 1] & 0x7F;
    int pos = off + 2;
    long payloadLength = len7;
    if (len7 == 126) {
      payloadLength = ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF);
      pos += 2;
    } else if (len7 == 127) {
      payloadLength = 0;
      for (int i = 0; i < 8; i++) {
        payloadLength = (payloadLength << 8) | (b[pos + i] & 0xFF);
      }
      pos += 8;
    }
    byte[] key = null;
    if (masked) {
      key = Arrays.copyOfRange(b, pos, pos + 4);
      pos += 4;
    }
    byte[] payload = Arrays.copyOfRange(b, pos, pos + (int) payloadLength);
    if (key != null) {
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= key[i & 3];
      }
    }
    return received(fin, rsv, opcode, masked, payload);
  }

  private long lengthValue() {
    return declaredLength != null ? declaredLength : payload.length;
  }

  private Length form(long len) {
    if (length != Length.MINIMAL) {
      return length;
    }
    if (len >= 0 && len <= 125) {
      return Length.BITS_7;
    }
    return len >= 0 && len <= 0xFFFF ? Length.BITS_16 : Length.BITS_64;
  }

  private void checkLength(long len) {
    Length f = form(len);
    if (f == Length.BITS_7 && (len < 0 || len > 125)) {
      throw new IllegalArgumentException("the 7-bit length form holds 0-125: " + len);
    }
    if (f == Length.BITS_16 && (len < 0 || len > 0xFFFF)) {
      throw new IllegalArgumentException("the 16-bit length form holds 0-65535: " + len);
    }
  }

  private static void checkOpcode(int opcode) {
    if (opcode < 0 || opcode > 15) {
      throw new IllegalArgumentException("opcode must be 0-15: " + opcode);
    }
  }

  @Override
  public String toString() {
    String shown =
        payload.length <= 32
            ? HexFormat.of().formatHex(payload)
            : HexFormat.of().formatHex(payload, 0, 32) + "...";
    return "RawFrame[fin="
        + fin
        + " rsv="
        + rsv
        + " opcode="
        + opcode
        + (masked ? " masked" : "")
        + " "
        + payload.length
        + " bytes "
        + shown
        + "]";
  }
}
