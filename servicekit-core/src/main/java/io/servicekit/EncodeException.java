package io.servicekit;

import org.jspecify.annotations.Nullable;

/** A message could not be encoded by a {@link Codec}; nothing was queued for it. */
public class EncodeException extends ServiceKitException {
  public EncodeException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
