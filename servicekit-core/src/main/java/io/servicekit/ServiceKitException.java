package io.servicekit;

import org.jspecify.annotations.Nullable;

/**
 * Base type of every exception ServiceKit throws. Unchecked, so it travels through lambdas and
 * callbacks; messages name the rule that was broken and the offending value.
 */
public class ServiceKitException extends RuntimeException {
  public ServiceKitException(String message) {
    super(message);
  }

  public ServiceKitException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }

  protected ServiceKitException(
      String message, @Nullable Throwable cause, boolean suppression, boolean writableStackTrace) {
    super(message, cause, suppression, writableStackTrace);
  }
}
