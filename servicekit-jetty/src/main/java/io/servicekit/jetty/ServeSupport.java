package io.servicekit.jetty;

import io.servicekit.Rejection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * What {@link WsServe}, {@link SseServe} and {@link StreamableServe} answer alike: the refusals
 * (405, a {@link Rejection}, 500, 204), the response head of an event stream, and reading the
 * request's protocol version and header tokens. Each method that takes a callback completes the
 * response.
 */
final class ServeSupport {
  private ServeSupport() {}

  /**
   * 405 with {@code Allow: allow} and the plain-text body {@code "<endpoint>: method must be
   * <must>, was <method>"}.
   */
  static void methodNotAllowed(
      Request request,
      Response response,
      Callback callback,
      String endpoint,
      String allow,
      String must) {
    Responses.text(
        response,
        callback,
        HttpStatus.METHOD_NOT_ALLOWED_405,
        endpoint + ": method must be " + must + ", was " + request.getMethod(),
        Map.of("Allow", allow));
  }

  /** The rejection's status, headers and plain-text body. */
  static void reject(Response response, Callback callback, Rejection rejection) {
    if (rejection.isNoContent()) {
      noContent(response, callback, rejection.headers()); // 204 carries no body nor Content-Type
      return;
    }
    Responses.text(response, callback, rejection.status(), rejection.body(), rejection.headers());
  }

  /** 500 {@code internal server error}: the details stay in the log, never reach the client. */
  static void internalError(Response response, Callback callback) {
    Responses.text(
        response,
        callback,
        HttpStatus.INTERNAL_SERVER_ERROR_500,
        "internal server error",
        Map.of());
  }

  /** 204 with {@code headers} and no body (an event-stream client then stops reconnecting). */
  static void noContent(Response response, Callback callback, Map<String, String> headers) {
    response.setStatus(HttpStatus.NO_CONTENT_204);
    headers.forEach((k, v) -> response.getHeaders().put(k, v));
    response.write(true, BufferUtil.EMPTY_BUFFER, callback);
  }

  /**
   * Sets the head of an event stream: {@code status}, {@code Content-Type: text/event-stream},
   * {@code Cache-Control: no-cache}, {@code Connection: keep-alive} (HTTP/1.1 only) and {@code
   * X-Accel-Buffering: no}. Nothing is written yet.
   */
  static void eventStreamHead(Request request, Response response, int status) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    if (request.getConnectionMetaData().getHttpVersion() == HttpVersion.HTTP_1_1) {
      // Informational (keep-alive is HTTP/1.1's default), sent for parity with the Go library.
      // Jetty drops a CONNECTION field whose only token is keep-alive, so add it as a plain field.
      response.getHeaders().add(new HttpField(null, "Connection", "keep-alive"));
    }
    response.getHeaders().put("X-Accel-Buffering", "no");
  }

  /** Whether the request came over HTTP/1.0 or HTTP/1.1 (one request a connection at a time). */
  static boolean isHttp1(Request request) {
    HttpVersion version = request.getConnectionMetaData().getHttpVersion();
    return version == HttpVersion.HTTP_1_1 || version == HttpVersion.HTTP_1_0;
  }

  /**
   * The comma-separated tokens of every {@code header} field of the request, trimmed, blank ones
   * left out, in order.
   */
  static List<String> tokens(Request request, HttpHeader header) {
    List<String> tokens = new ArrayList<>();
    for (String value : request.getHeaders().getValuesList(header)) {
      for (String token : value.split(",")) {
        if (!token.isBlank()) {
          tokens.add(token.trim());
        }
      }
    }
    return tokens;
  }

  /** Whether a {@code header} field of the request has {@code token}, ignoring case. */
  static boolean hasToken(Request request, HttpHeader header, String token) {
    for (String t : tokens(request, header)) {
      if (t.equalsIgnoreCase(token)) {
        return true;
      }
    }
    return false;
  }
}
