package io.servicekit;

/** A message could not be encoded by a {@link Codec}; nothing was queued for it. */
public class EncodeException extends ServiceKitException {
  public EncodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
