package io.servicekit.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.servicekit.Codec;
import io.servicekit.DecodeException;
import io.servicekit.EncodeException;
import java.util.Objects;

/**
 * Protobuf messages as binary frames (the protobuf wire format, one message per frame).
 *
 * <pre>{@code
 * Codec<PlayerAction, GameState> codec = new BinaryProtoCodec<>(PlayerAction.getDefaultInstance());
 * }</pre>
 *
 * <p>The JSON heartbeat keeps working: the server's pings are text frames written by the transport,
 * and the client's {@code {"type":"pong",...}} answers are absorbed by the transport before any
 * codec sees them. Any other text frame is refused with close code 1003; bytes that are not a valid
 * message with 1007. Thread-safe.
 *
 * @param <I> the incoming message type
 * @param <O> the outgoing message type
 */
public final class BinaryProtoCodec<I extends Message, O extends Message> implements Codec<I, O> {
  private final String typeName;
  private final Parser<? extends Message> parser;

  /**
   * A codec reading messages of {@code prototype}'s type.
   *
   * @param prototype any instance of the incoming type (usually {@code getDefaultInstance()})
   */
  public BinaryProtoCodec(I prototype) {
    Objects.requireNonNull(prototype, "prototype");
    this.typeName = prototype.getDescriptorForType().getFullName();
    this.parser = prototype.getParserForType();
  }

  @Override
  @SuppressWarnings("unchecked") // the parser of an I parses an I
  public I decode(io.servicekit.Message frame) throws DecodeException {
    if (!(frame instanceof io.servicekit.Message.Binary binary)) {
      throw DecodeException.unsupportedFrame("BinaryProtoCodec", frame);
    }
    try {
      return (I) parser.parseFrom(binary.bytes());
    } catch (InvalidProtocolBufferException e) {
      throw new DecodeException(
          "invalid protobuf bytes for " + typeName + ": " + e.getMessage(), e);
    }
  }

  @Override
  public io.servicekit.Message encode(O message) throws EncodeException {
    return io.servicekit.Message.binary(message.toByteArray());
  }
}
