package io.servicekit.client;

import java.net.URI;

/**
 * A server answered with an HTTP status the client does not accept: a refused WebSocket handshake,
 * an SSE request answered with something other than 200 {@code text/event-stream}, or a Streamable
 * HTTP POST answered with a non-2xx status.
 */
public class HttpStatusException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String body;

  public HttpStatusException(URI uri, int status, String body, String detail) {
    super(
        detail
            + ": HTTP "
            + status
            + " from "
            + uri
            + (body == null || body.isEmpty() ? "" : " (body: " + abbreviate(body) + ")"));
    this.status = status;
    this.body = body == null ? "" : body;
  }

  /** The HTTP status code. */
  public int status() {
    return status;
  }

  /** The response body as text (empty if none or not read). */
  public String body() {
    return body;
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }
}
