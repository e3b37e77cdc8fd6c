package io.servicekit.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.servicekit.Codec;
import io.servicekit.DecodeException;
import io.servicekit.EncodeException;
import java.util.Objects;

/**
 * Protobuf messages as JSON text frames, with protobuf's canonical JSON mapping ({@link
 * JsonFormat}): camelCase field names, default values omitted, 64-bit integers as strings, {@code
 * Timestamp} as RFC 3339 text, unknown fields rejected. Pass your own {@link JsonFormat.Parser} or
 * {@link JsonFormat.Printer} to change that (e.g. {@code ignoringUnknownFields()}).
 *
 * <pre>{@code
 * Codec<GameCommand, CommandSummary> codec =
 *     new ProtoJsonCodec<>(GameCommand.getDefaultInstance());
 * }</pre>
 *
 * <p>Only text frames are accepted; a binary frame is refused with close code 1003 and malformed
 * JSON with 1007 (the connection's {@code onError} decides). Thread-safe.
 *
 * @param <I> the incoming message type
 * @param <O> the outgoing message type
 */
public final class ProtoJsonCodec<I extends Message, O extends Message> implements Codec<I, O> {
  private final I prototype;
  private final JsonFormat.Parser parser;
  private final JsonFormat.Printer printer;

  /** A codec with protobuf's default JSON options (compact output). */
  public ProtoJsonCodec(I prototype) {
    this(prototype, JsonFormat.parser(), JsonFormat.printer().omittingInsignificantWhitespace());
  }

  /**
   * A codec with explicit options.
   *
   * @param prototype any instance of the incoming type (usually {@code getDefaultInstance()})
   */
  public ProtoJsonCodec(I prototype, JsonFormat.Parser parser, JsonFormat.Printer printer) {
    this.prototype = Objects.requireNonNull(prototype, "prototype");
    this.parser = Objects.requireNonNull(parser, "parser");
    this.printer = Objects.requireNonNull(printer, "printer");
  }

  /** The parser used by {@link #decode}. */
  public JsonFormat.Parser parser() {
    return parser;
  }

  /** The printer used by {@link #encode}. */
  public JsonFormat.Printer printer() {
    return printer;
  }

  @Override
  @SuppressWarnings("unchecked") // the builder of an I builds an I
  public I decode(io.servicekit.Message frame) throws DecodeException {
    if (!(frame instanceof io.servicekit.Message.Text text)) {
      throw DecodeException.unsupportedFrame("ProtoJsonCodec", frame);
    }
    Message.Builder builder = prototype.newBuilderForType();
    try {
      parser.merge(text.text(), builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new DecodeException(
          "invalid protobuf JSON for "
              + prototype.getDescriptorForType().getFullName()
              + ": "
              + e.getMessage(),
          e);
    }
    return (I) builder.build();
  }

  @Override
  public io.servicekit.Message encode(O message) throws EncodeException {
    try {
      return io.servicekit.Message.text(printer.print(message));
    } catch (InvalidProtocolBufferException e) {
      throw new EncodeException("cannot print " + message.getDescriptorForType().getFullName(), e);
    }
  }
}
