package io.servicekit.mcp;

import io.servicekit.OriginPolicy;
import io.servicekit.streamable.SingleResponse;
import io.servicekit.streamable.StreamableRequest;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The HTTP checks in front of every MCP request: Host and Origin (DNS rebinding), the verb, {@code
 * Accept} and {@code Content-Type}; and the error answers with their statuses.
 */
final class HttpFront {
  private final OriginPolicy allowedOrigins;
  private final List<String> allowedHosts; // empty = any

  HttpFront(OriginPolicy allowedOrigins, List<String> allowedHosts) {
    this.allowedOrigins = allowedOrigins;
    this.allowedHosts = List.copyOf(allowedHosts);
  }

  /** 403 for an Origin or Host not allowed, else empty. */
  Optional<SingleResponse> checkHostAndOrigin(StreamableRequest request) {
    Optional<String> origin = request.origin().filter(o -> !o.isBlank());
    if (origin.isPresent() && !allowedOrigins.matches(origin.get())) {
      return Optional.of(
          error(403, McpError.SERVER_ERROR, "Forbidden: Origin not allowed: " + origin.get()));
    }
    if (!allowedHosts.isEmpty()) {
      String host = hostName(request.host());
      if (!allowedHosts.contains(host)) {
        return Optional.of(
            error(403, McpError.SERVER_ERROR, "Forbidden: Host not allowed: " + request.host()));
      }
    }
    return Optional.empty();
  }

  /** 405 for a verb other than POST, GET, DELETE. */
  static SingleResponse methodNotAllowed(StreamableRequest request) {
    return error(
            405,
            McpError.SERVER_ERROR,
            "Method Not Allowed: " + request.method() + " (use GET, POST or DELETE)")
        .withHeader("Allow", "GET, POST, DELETE");
  }

  /** 406 / 415 for a POST without the Accept or Content-Type MCP needs, else empty. */
  static Optional<SingleResponse> checkPost(StreamableRequest request) {
    return checkPost(request, null);
  }

  /** {@link #checkPost(StreamableRequest)} with errors that echo request {@code id}. */
  static Optional<SingleResponse> checkPost(StreamableRequest request, @Nullable JsonNode id) {
    if (!request.accept().acceptsJsonAndEventStream()) {
      return Optional.of(
          error(
              406,
              id,
              McpError.SERVER_ERROR,
              "Not Acceptable: Client must accept both application/json and text/event-stream"
                  + " (Accept: "
                  + request.header("Accept").orElse("absent")
                  + ")"));
    }
    String contentType = request.header("Content-Type").orElse("");
    String mediaType = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
    if (!mediaType.equals("application/json")) {
      return Optional.of(
          error(
              415,
              id,
              McpError.SERVER_ERROR,
              "Unsupported Media Type: Content-Type must be application/json, got "
                  + (contentType.isEmpty() ? "none" : abbreviate(contentType))));
    }
    return Optional.empty();
  }

  /** 406 for a GET that does not accept an event stream, else empty. */
  static Optional<SingleResponse> checkGet(StreamableRequest request) {
    if (!request.accept().acceptsEventStream()) {
      return Optional.of(
          error(
              406,
              McpError.SERVER_ERROR,
              "Not Acceptable: Client must accept text/event-stream (Accept: "
                  + request.header("Accept").orElse("absent")
                  + ")"));
    }
    return Optional.empty();
  }

  /** The host name of a {@code Host} header value, lower case, IPv6 in brackets, no port. */
  static String hostName(String hostHeader) {
    String h = hostHeader == null ? "" : hostHeader.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end > 0 ? h.substring(0, end + 1) : h;
    }
    int colon = h.indexOf(':');
    return colon >= 0 && colon == h.lastIndexOf(':') ? h.substring(0, colon) : h;
  }

  /** A JSON-RPC error answer (id null) with HTTP {@code status}. */
  static SingleResponse error(int status, @Nullable JsonNode id, int code, String message) {
    return error(status, id, code, message, null);
  }

  /** A JSON-RPC error answer with HTTP {@code status}, echoing {@code id} (null when unknown). */
  static SingleResponse error(
      int status, @Nullable JsonNode id, int code, String message, @Nullable JsonNode data) {
    return SingleResponse.json(status, Messages.errorResponse(id, code, message, data).toString());
  }

  static SingleResponse error(int status, int code, String message) {
    return error(status, null, code, message, null);
  }

  /** {@code s}, cut to 80 characters for an error message. */
  static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }

  /** A JSON value abbreviated for an error message; "(absent)" for a missing one. */
  static String abbreviate(JsonNode v) {
    return v.isMissingNode() ? "(absent)" : abbreviate(v.toString());
  }
}
