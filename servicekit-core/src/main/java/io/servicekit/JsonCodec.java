package io.servicekit;

import tools.jackson.core.JacksonException;

/**
 * Dynamic JSON, the Go library's {@code JSONCodec}: text frames decode to plain Java values —
 * {@code Map<String, Object>} (insertion-ordered) for objects, {@code List<Object>}, {@code
 * String}, {@code Integer}/{@code Long}/{@code BigInteger}/{@code Double}, {@code Boolean} or
 * {@code null} — and any value Jackson can serialise is encoded as one compact text frame.
 *
 * <p>Input is checked strictly: invalid JSON, duplicate keys and input past Jackson's nesting,
 * number and string limits fail with a {@link DecodeException} (close 1007); binary frames fail
 * with close 1003.
 */
public final class JsonCodec implements Codec<Object, Object> {
  /** The shared instance; the codec is stateless. */
  public static final JsonCodec INSTANCE = new JsonCodec();

  public JsonCodec() {}

  @Override
  public Object decode(Message frame) throws DecodeException {
    if (!(frame instanceof Message.Text text)) {
      throw DecodeException.unsupportedFrame("JsonCodec", frame);
    }
    try {
      return Json.MAPPER.readValue(text.text(), Object.class);
    } catch (JacksonException e) {
      throw new DecodeException("invalid JSON: " + e.getOriginalMessage(), e);
    }
  }

  @Override
  public Message encode(Object message) throws EncodeException {
    try {
      return Message.text(Json.MAPPER.writeValueAsString(message));
    } catch (JacksonException e) {
      throw new EncodeException(
          "cannot encode " + (message == null ? "null" : message.getClass().getName()), e);
    }
  }

  @Override
  public String toString() {
    return "JsonCodec";
  }
}
