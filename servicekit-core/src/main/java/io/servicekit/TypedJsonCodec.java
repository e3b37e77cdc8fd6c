package io.servicekit;

import java.util.Objects;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON bound to Java types (records or classes), the Go library's {@code TypedJSONCodec}: names are
 * matched case-insensitively and unknown properties are ignored, as in Go. Decode failures are
 * {@link DecodeException}s (1007); binary frames are refused (1003).
 *
 * <pre>{@code
 * Codec<ChatIn, ChatOut> codec = TypedJsonCodec.of(ChatIn.class);
 * }</pre>
 *
 * @param <I> the incoming type
 * @param <O> the outgoing type (anything Jackson can write)
 */
public final class TypedJsonCodec<I, O> implements Codec<I, O> {
  private final JsonMapper mapper;
  private final JavaType inputType;

  private TypedJsonCodec(JsonMapper mapper, JavaType inputType) {
    this.mapper = mapper;
    this.inputType = inputType;
  }

  /** A codec reading {@code input} with ServiceKit's default mapper. */
  public static <I, O> TypedJsonCodec<I, O> of(Class<I> input) {
    return of(Json.MAPPER, input);
  }

  /** A codec reading {@code input} with a mapper of your own configuration. */
  public static <I, O> TypedJsonCodec<I, O> of(JsonMapper mapper, Class<I> input) {
    Objects.requireNonNull(input, "input");
    return new TypedJsonCodec<>(mapper, mapper.constructType(input));
  }

  @Override
  public I decode(Message frame) throws DecodeException {
    if (!(frame instanceof Message.Text text)) {
      throw DecodeException.unsupportedFrame("TypedJsonCodec", frame);
    }
    try {
      I value = mapper.readValue(text.text(), inputType);
      if (value == null) {
        throw new DecodeException(
            "expected a JSON object for " + inputType.getRawClass().getSimpleName() + ", got null");
      }
      return value;
    } catch (JacksonException e) {
      throw new DecodeException(
          "invalid " + inputType.getRawClass().getSimpleName() + ": " + e.getOriginalMessage(), e);
    }
  }

  @Override
  public Message encode(O message) throws EncodeException {
    try {
      return Message.text(mapper.writeValueAsString(message));
    } catch (JacksonException e) {
      throw new EncodeException(
          "cannot encode " + (message == null ? "null" : message.getClass().getName()), e);
    }
  }

  @Override
  public String toString() {
    return "TypedJsonCodec[" + inputType.getRawClass().getSimpleName() + "]";
  }
}
