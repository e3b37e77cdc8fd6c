package io.servicekit;

import org.jspecify.annotations.Nullable;

/**
 * A received frame could not be decoded by the connection's {@link Codec}. When {@code onError}
 * chooses to close, the connection closes with {@link #status()}: 1007 (invalid payload) for bad
 * content, 1003 (unsupported data) for a frame type the codec does not accept.
 */
public class DecodeException extends CloseException {
  public DecodeException(String message) {
    this(CloseStatus.INVALID_PAYLOAD, message, null);
  }

  public DecodeException(String message, @Nullable Throwable cause) {
    this(CloseStatus.INVALID_PAYLOAD, message, cause);
  }

  public DecodeException(int closeCode, String message, @Nullable Throwable cause) {
    super(CloseStatus.of(closeCode, message), cause);
  }

  /** A binary frame arrived at a text codec or the other way round (close code 1003). */
  public static DecodeException unsupportedFrame(String codec, Message frame) {
    return new DecodeException(
        CloseStatus.UNSUPPORTED_DATA,
        codec
            + " does not accept "
            + frame.type().name().toLowerCase(java.util.Locale.ROOT)
            + " frames",
        null);
  }
}
