package io.servicekit.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.jspecify.annotations.Nullable;

/**
 * What hubs and resumable streams put on a {@link io.servicekit.broker.Broker}: the sending node,
 * what kind of delivery, its target (room, connection id or stream id, may be empty), a connection
 * to exclude (may be empty), up to two strings (e.g. an SSE event name and id, may be null), a
 * binary flag and the payload. Not API.
 *
 * @param nodeId the publishing node, so that it can drop its own echo
 * @param kind the kind of delivery, defined by the user of the envelope
 * @param target room, connection id or stream id; empty when none
 * @param exclude a connection id not to deliver to; empty when none
 * @param a first optional string (null when none)
 * @param b second optional string (null when none)
 * @param binary whether the payload is a binary frame
 * @param payload the payload bytes
 */
public record BrokerEnvelope(
    String nodeId,
    byte kind,
    String target,
    String exclude,
    @Nullable String a,
    @Nullable String b,
    boolean binary,
    byte[] payload) {
  private static final int VERSION = 1;

  /** The bytes to publish. */
  public byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 64);
    try (DataOutputStream d = new DataOutputStream(out)) {
      d.writeByte(VERSION);
      d.writeUTF(nodeId);
      d.writeByte(kind);
      d.writeUTF(target == null ? "" : target);
      d.writeUTF(exclude == null ? "" : exclude);
      writeOptional(d, a);
      writeOptional(d, b);
      d.writeBoolean(binary);
      d.writeInt(payload.length);
      d.write(payload);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * Reads an envelope.
   *
   * @throws IllegalArgumentException if the bytes are not an envelope of this version
   */
  public static BrokerEnvelope parse(byte[] bytes) {
    try (DataInputStream d = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int version = d.readUnsignedByte();
      if (version != VERSION) {
        throw new IllegalArgumentException(
            "unknown broker envelope version " + version + ", expected " + VERSION);
      }
      String node = d.readUTF();
      byte kind = d.readByte();
      String target = d.readUTF();
      String exclude = d.readUTF();
      String a = readOptional(d);
      String b = readOptional(d);
      boolean binary = d.readBoolean();
      int n = d.readInt();
      if (n < 0 || n > bytes.length) {
        throw new IllegalArgumentException("broker envelope payload length out of range: " + n);
      }
      byte[] payload = d.readNBytes(n);
      if (payload.length != n) {
        throw new IllegalArgumentException("broker envelope truncated");
      }
      return new BrokerEnvelope(node, kind, target, exclude, a, b, binary, payload);
    } catch (IOException e) {
      throw new IllegalArgumentException("malformed broker envelope: " + e, e);
    }
  }

  private static void writeOptional(DataOutputStream d, @Nullable String s) throws IOException {
    d.writeBoolean(s != null);
    if (s != null) {
      d.writeUTF(s);
    }
  }

  private static @Nullable String readOptional(DataInputStream d) throws IOException {
    return d.readBoolean() ? d.readUTF() : null;
  }
}
