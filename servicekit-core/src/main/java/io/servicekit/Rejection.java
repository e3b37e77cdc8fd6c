package io.servicekit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Thrown from {@link WsHandler#accept(Request)} to refuse an upgrade. The server answers with
 * {@link #status()}, the extra {@link #headers()} and a plain-text {@link #body()}; nothing is
 * upgraded and no connection object is started.
 *
 * <pre>{@code
 * if (token == null) throw Rejection.of(401, "Missing authentication token");
 * }</pre>
 */
public class Rejection extends ServiceKitException {
  private final int status;
  private final String body;
  private final Map<String, String> headers = new LinkedHashMap<>();

  public Rejection(int status, String body) {
    super("handshake rejected with " + status + ": " + body);
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("rejection status must be 400-599: " + status);
    }
    this.status = status;
    this.body = body == null ? "" : body;
  }

  /** A rejection with HTTP {@code status} (400-599) and a plain-text {@code body}. */
  public static Rejection of(int status, String body) {
    return new Rejection(status, body);
  }

  /** Adds a response header, e.g. {@code WWW-Authenticate}. Returns this rejection. */
  public Rejection header(String name, String value) {
    headers.put(name, value);
    return this;
  }

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
