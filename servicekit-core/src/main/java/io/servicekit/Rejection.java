package io.servicekit;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Thrown to refuse a request before anything is started: from a {@link WsHandler#accept(Request)}
 * (an upgrade), an {@link io.servicekit.sse.SseHandler} or an {@link
 * io.servicekit.sse.SseListener#onOpen} (an SSE stream), a Streamable HTTP handler. The server
 * answers with {@link #status()}, the extra {@link #headers()} and a plain-text {@link #body()}.
 *
 * <pre>{@code
 * if (token == null) throw Rejection.of(401, "Missing authentication token");
 * }</pre>
 *
 * <p>{@link #noContent} is the one success status: on an SSE endpoint it answers {@code 204 No
 * Content} with no body, which tells a browser's {@code EventSource} to stop reconnecting.
 */
public class Rejection extends ServiceKitException {
  private final int status;
  private final String body;
  private final Map<String, String> headers = new LinkedHashMap<>();

  /**
   * A rejection with HTTP {@code status} and a plain-text {@code body}.
   *
   * @throws IllegalArgumentException if {@code status} is not 400-599
   */
  public Rejection(int status, @Nullable String body) {
    this(checkStatus(status), body, "rejected with " + status + ": " + body);
  }

  private Rejection(int status, @Nullable String body, String message) {
    super(message);
    this.status = status;
    this.body = body == null ? "" : body;
  }

  private static int checkStatus(int status) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("rejection status must be 400-599: " + status);
    }
    return status;
  }

  /** A rejection with HTTP {@code status} (400-599) and a plain-text {@code body}. */
  public static Rejection of(int status, @Nullable String body) {
    return new Rejection(status, body);
  }

  /**
   * {@code 204 No Content} with no body: on an SSE endpoint the conventional way to tell a
   * browser's {@code EventSource} (and spec-following clients) to stop reconnecting, e.g. when the
   * feed has ended for good. {@code reason} is for logs only, never sent.
   */
  public static Rejection noContent(String reason) {
    return new Rejection(204, "", "refused with 204 No Content: " + reason);
  }

  /** {@link #noContent(String)} without a reason. */
  public static Rejection noContent() {
    return noContent("no content");
  }

  /** Whether this is {@link #noContent}: status 204, no body. */
  public boolean isNoContent() {
    return status == 204;
  }

  /** Adds a response header, e.g. {@code WWW-Authenticate}. Returns this rejection. */
  public Rejection header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  /** The HTTP status: 400-599, or 204 for {@link #noContent}. */
  public int status() {
    return status;
  }

  public String body() {
    return body;
  }

  public Map<String, String> headers() {
    return Map.copyOf(headers);
  }
}
