package io.servicekit.client;

/**
 * The server sent an error envelope: {@code {"type":"error","error":"<message>"}} from a ServiceKit
 * WebSocket connection, or {@code {"type":"error","error":"...","code":"NOT_FOUND"}} from a
 * gRPC-over-WebSocket bridge. Delivered to the listener's {@code onError}; the connection stays
 * open.
 */
public class ServerErrorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String code;

  public ServerErrorException(String message, String code) {
    super(message);
    this.code = code;
  }

  /** The error text the server sent. */
  public String error() {
    return getMessage();
  }

  /** The gRPC status code name (e.g. {@code NOT_FOUND}) if the server sent one, else null. */
  public String code() {
    return code;
  }
}
