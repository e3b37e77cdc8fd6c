package io.servicekit.mcp;

import io.servicekit.ServiceKitException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A JSON-RPC error to answer a request with: throw it from a handler and the client gets {@code
 * {"error":{"code":..,"message":..,"data":..}}}. The standard codes are constants here.
 */
public class McpError extends ServiceKitException {
  /** JSON-RPC "Parse error". */
  public static final int PARSE_ERROR = -32700;

  /** JSON-RPC "Invalid Request". */
  public static final int INVALID_REQUEST = -32600;

  /** JSON-RPC "Method not found". */
  public static final int METHOD_NOT_FOUND = -32601;

  /** JSON-RPC "Invalid params" (also an unknown tool, prompt or resource). */
  public static final int INVALID_PARAMS = -32602;

  /** JSON-RPC "Internal error". */
  public static final int INTERNAL_ERROR = -32603;

  /** Generic server error (the MCP SDKs use it for transport-level refusals). */
  public static final int SERVER_ERROR = -32000;

  /** MCP "Session not found" (the SDKs answer it with HTTP 404). */
  public static final int SESSION_NOT_FOUND = -32001;

  /** MCP "Resource not found" (2025-11-25; the stateless revision answers -32602 instead). */
  public static final int RESOURCE_NOT_FOUND = -32002;

  /** MCP 2026-07-28 "Header mismatch": a required header is missing or differs from the body. */
  public static final int HEADER_MISMATCH = -32020;

  /** MCP 2026-07-28 "Missing required client capability" ({@code data.requiredCapabilities}). */
  public static final int MISSING_REQUIRED_CLIENT_CAPABILITY = -32021;

  /**
   * MCP 2026-07-28 "Unsupported protocol version" ({@code data.supported}, {@code data.requested}).
   */
  public static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;

  private final int code;
  private final String message;
  private final transient @Nullable JsonNode data;

  /** An error with {@code code} and {@code message}. */
  public McpError(int code, String message) {
    this(code, message, null);
  }

  /** An error with {@code code}, {@code message} and optional {@code data} (null for none). */
  public McpError(int code, String message, @Nullable JsonNode data) {
    super(Objects.requireNonNull(message, "message (JSON-RPC requires an error message string)"));
    this.message = message;
    this.code = code;
    this.data = data;
  }

  /** The message, never null (unlike {@link #getMessage()}, which a subclass may override). */
  String message() {
    return message;
  }

  /** The JSON-RPC error code. */
  public int code() {
    return code;
  }

  /** The optional {@code data} member, or null. */
  public @Nullable JsonNode data() {
    return data;
  }
}
