package io.servicekit;

import org.jspecify.annotations.Nullable;

/**
 * Thrown from a connection callback to close the connection with a chosen {@link CloseStatus}. Any
 * other exception from {@code onMessage} closes with {@link CloseStatus#INTERNAL_ERROR} when {@code
 * onError} decides to close.
 */
public class CloseException extends ServiceKitException {
  private final CloseStatus status;

  public CloseException(int code, String reason) {
    this(CloseStatus.of(code, reason));
  }

  public CloseException(CloseStatus status) {
    super(status.code() + " " + status.reason());
    this.status = status;
  }

  public CloseException(CloseStatus status, @Nullable Throwable cause) {
    super(status.code() + " " + status.reason(), cause);
    this.status = status;
  }

  /** The status the connection closes with. */
  public CloseStatus status() {
    return status;
  }
}
