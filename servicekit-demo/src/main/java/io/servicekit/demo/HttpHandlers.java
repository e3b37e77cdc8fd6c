package io.servicekit.demo;

import io.servicekit.JsonCodec;
import io.servicekit.Message;
import io.servicekit.jetty.Responses;
import java.util.Map;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Small helpers shared by the demo's plain HTTP handlers. */
final class HttpHandlers {
  private HttpHandlers() {}

  /** {@code value} as compact JSON text. */
  static String json(Object value) {
    return ((Message.Text) JsonCodec.INSTANCE.encode(value)).text();
  }

  /** Completes with {@code status} and {@code {"error":message}}. */
  static void error(Response response, Callback callback, int status, String message) {
    Responses.json(response, callback, status, json(Map.of("error", message)));
  }

  /** Completes with 405, an {@code Allow} header and a body naming the method received. */
  static void methodNotAllowed(Response response, Callback callback, String method, String allow) {
    Responses.json(
        response,
        callback,
        HttpStatus.METHOD_NOT_ALLOWED_405,
        json(Map.of("error", "method must be " + allow.replace(", ", " or ") + ", was " + method)),
        Map.of("Allow", allow));
  }
}
