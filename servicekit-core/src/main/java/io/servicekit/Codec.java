package io.servicekit;

/**
 * Converts between whole WebSocket messages and typed values, for data messages only: heartbeat
 * pings, pongs and error envelopes are handled by the transport and never pass through a codec, so
 * a binary codec works with JSON heartbeats.
 *
 * <p>Implementations must be thread-safe: one codec instance is usually shared by every connection
 * of an endpoint, and a hub encodes a broadcast once per codec.
 *
 * @param <I> the type of decoded incoming messages
 * @param <O> the type of outgoing messages
 */
public interface Codec<I, O> {
  /**
   * Decodes one received message.
   *
   * @throws DecodeException if the frame is malformed (close code 1007) or of a type this codec
   *     does not accept (close code 1003)
   */
  I decode(Message frame) throws DecodeException;

  /**
   * Encodes one outgoing message.
   *
   * @throws EncodeException if the value cannot be encoded; nothing is sent
   */
  Message encode(O message) throws EncodeException;

  /** A codec that passes frames through unchanged, text and binary alike (an echo server's). */
  static Codec<Message, Message> raw() {
    return RawCodec.INSTANCE;
  }
}
