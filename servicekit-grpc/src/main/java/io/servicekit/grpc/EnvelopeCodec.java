package io.servicekit.grpc;

import io.servicekit.Codec;
import io.servicekit.Message;
import io.servicekit.MessageRejectedException;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads and writes {@link Envelope}s as JSON text frames.
 *
 * <p>Decoding is strict where the Go library was lenient: keys are case-sensitive, duplicate keys
 * are refused, binary frames are refused, {@code type} must be a non-empty string and {@code
 * pingId} an integer. Unknown keys are ignored. A refused frame throws {@link
 * MessageRejectedException}: the bridge answers it with an error envelope and keeps the session.
 */
public final class EnvelopeCodec implements Codec<Envelope, Envelope> {
  /** The shared instance (stateless). */
  public static final EnvelopeCodec INSTANCE = new EnvelopeCodec();

  private static final JsonMapper MAPPER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private EnvelopeCodec() {}

  @Override
  public Envelope decode(Message frame) {
    if (!(frame instanceof Message.Text text)) {
      throw new MessageRejectedException(
          "invalid envelope: binary frames are not accepted; send JSON text");
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(text.text());
    } catch (JacksonException e) {
      throw new MessageRejectedException("invalid envelope: not JSON: " + e.getOriginalMessage());
    } catch (NumberFormatException e) {
      // a number Jackson tokenizes but BigDecimal cannot hold (an exponent beyond the int range)
      throw new MessageRejectedException(
          "invalid envelope: not JSON: number out of range: " + e.getMessage());
    }
    if (node == null || !node.isObject()) {
      throw new MessageRejectedException(
          "invalid envelope: expected a JSON object, got " + describe(node));
    }
    JsonNode type = node.get("type");
    if (type == null || !type.isString() || type.asString().isEmpty()) {
      throw new MessageRejectedException(
          "invalid envelope: \"type\" must be a non-empty string, got " + describe(type));
    }
    JsonNode data = node.get("data");
    JsonNode error = node.get("error");
    JsonNode pingId = node.get("pingId");
    long ping = 0;
    if (pingId != null && !pingId.isNull()) {
      if (!pingId.isIntegralNumber() || !pingId.canConvertToLong()) {
        throw new MessageRejectedException(
            "invalid envelope: \"pingId\" must be an integer, got " + describe(pingId));
      }
      ping = pingId.asLong();
    }
    return new Envelope(
        type.asString(),
        data == null || data.isNull() ? null : MAPPER.writeValueAsString(data),
        error != null && error.isString() ? error.asString() : null,
        null,
        ping);
  }

  @Override
  public Message encode(Envelope message) {
    return Message.text(message.toJson());
  }

  private static String describe(@Nullable JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    String s = node.toString();
    return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
        + " "
        + (s.length() > 60 ? s.substring(0, 60) + "..." : s);
  }
}
