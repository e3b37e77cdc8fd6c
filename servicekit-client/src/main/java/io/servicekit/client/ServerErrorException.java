package io.servicekit.client;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The server sent an error envelope: {@code {"type":"error","error":"<message>"}} from a ServiceKit
 * WebSocket connection, or {@code {"type":"error","error":"...","code":"NOT_FOUND"}} from a
 * gRPC-over-WebSocket bridge. Delivered to the listener's {@code onError}; the connection stays
 * open.
 */
public class ServerErrorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String error;
  private final @Nullable String code;

  public ServerErrorException(String message, @Nullable String code) {
    super(message);
    this.error = Objects.requireNonNull(message, "message");
    this.code = code;
  }

  /** The error text the server sent. */
  public String error() {
    return error;
  }

  /** The gRPC status code name (e.g. {@code NOT_FOUND}) if the server sent one, else null. */
  public @Nullable String code() {
    return code;
  }
}
