package io.servicekit.jetty;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Small helpers to finish a Jetty response with a body. */
public final class Responses {
  private Responses() {}

  /** Completes {@code response} with {@code status}, a JSON {@code body} and {@code headers}. */
  public static void json(
      Response response, Callback callback, int status, String body, Map<String, String> headers) {
    send(response, callback, status, "application/json", body + "\n", headers);
  }

  /** Completes {@code response} with {@code status} and a JSON {@code body}. */
  public static void json(Response response, Callback callback, int status, String body) {
    json(response, callback, status, body, Map.of());
  }

  /** Completes {@code response} with {@code status} and a plain-text {@code body}. */
  public static void text(
      Response response, Callback callback, int status, String body, Map<String, String> headers) {
    send(response, callback, status, "text/plain; charset=utf-8", body, headers);
  }

  private static void send(
      Response response,
      Callback callback,
      int status,
      String contentType,
      String body,
      Map<String, String> headers) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    headers.forEach((k, v) -> response.getHeaders().put(k, v));
    response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
  }
}
