package io.servicekit.mcp;

import io.servicekit.ServiceKitException;

/**
 * A body that is not valid JSON-RPC 2.0, with the JSON-RPC error {@link #code()} to answer: {@link
 * #PARSE_ERROR} (-32700) for malformed JSON, {@link #INVALID_REQUEST} (-32600) for valid JSON of
 * the wrong shape (an empty batch, {@code null}, a message without {@code "jsonrpc": "2.0"}, ...).
 */
final class JsonRpcException extends ServiceKitException {
  /** JSON-RPC 2.0 "Parse error". */
  static final int PARSE_ERROR = -32700;

  /** JSON-RPC 2.0 "Invalid Request". */
  static final int INVALID_REQUEST = -32600;

  private final int code;

  JsonRpcException(int code, String message) {
    super(message);
    this.code = code;
  }

  JsonRpcException(int code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** The JSON-RPC error code for a reply. */
  int code() {
    return code;
  }
}
