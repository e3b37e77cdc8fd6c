package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.Rejection;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The answers {@link ServeSupport} gives for the three endpoints, read off a real server over a raw
 * socket (so every header, and the absence of one, is visible).
 */
class ServeSupportTest {
  private static ServiceKitServer server;

  @BeforeAll
  static void start() throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .route(
                "/405",
                handler((q, r, c) -> ServeSupport.methodNotAllowed(q, r, c, "X", "GET", "GET")))
            .route(
                "/reject",
                handler(
                    (q, r, c) ->
                        ServeSupport.reject(
                            r, c, Rejection.of(429, "slow down").header("Retry-After", "7"))))
            .route(
                "/reject-204",
                handler(
                    (q, r, c) ->
                        ServeSupport.reject(
                            r, c, Rejection.noContent("nothing yet").header("X-Why", "later"))))
            .route("/500", handler((q, r, c) -> ServeSupport.internalError(r, c)))
            .route(
                "/204", handler((q, r, c) -> ServeSupport.noContent(r, c, Map.of("X-Why", "done"))))
            .route(
                "/stream",
                handler(
                    (q, r, c) -> {
                      ServeSupport.eventStreamHead(q, r, 201);
                      r.write(true, BufferUtil.EMPTY_BUFFER, c);
                    }))
            .route(
                "/tokens",
                handler(
                    (q, r, c) ->
                        Responses.text(
                            r,
                            c,
                            200,
                            ServeSupport.tokens(q, HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL)
                                + " http1="
                                + ServeSupport.isHttp1(q)
                                + " upgrade="
                                + ServeSupport.hasToken(q, HttpHeader.CONNECTION, "upgrade"),
                            Map.of())))
            .build()
            .start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.jetty().setStopTimeout(0);
    server.stop();
  }

  @Test
  void methodNotAllowedNamesTheEndpointTheRuleAndTheMethod() throws Exception {
    String answer = exchange("POST /405 HTTP/1.1", "Content-Length: 0");
    assertThat(answer).startsWith("HTTP/1.1 405 ");
    assertThat(header(answer, "Allow")).isEqualTo("GET");
    assertThat(body(answer)).isEqualTo("X: method must be GET, was POST");
  }

  @Test
  void aRejectionGivesItsStatusHeadersAndPlainTextBody() throws Exception {
    String answer = exchange("GET /reject HTTP/1.1");
    assertThat(answer).startsWith("HTTP/1.1 429 ");
    assertThat(header(answer, "Retry-After")).isEqualTo("7");
    assertThat(header(answer, "Content-Type")).startsWith("text/plain");
    assertThat(body(answer)).isEqualTo("slow down");
  }

  @Test
  void aNoContentRejectionIsA204WithoutBodyOrContentType() throws Exception {
    // The same answer on every endpoint kind (WebSocket, SSE, Streamable): the reason stays in
    // the log, a 204 carries no body and no Content-Type.
    String answer = exchange("GET /reject-204 HTTP/1.1");
    assertThat(answer).startsWith("HTTP/1.1 204 ");
    assertThat(header(answer, "X-Why")).isEqualTo("later");
    assertThat(answer.toLowerCase(java.util.Locale.ROOT)).doesNotContain("content-type");
    assertThat(body(answer)).isEmpty();
  }

  @Test
  void anInternalErrorSaysNoMore() throws Exception {
    String answer = exchange("GET /500 HTTP/1.1");
    assertThat(answer).startsWith("HTTP/1.1 500 ");
    assertThat(body(answer)).isEqualTo("internal server error");
  }

  @Test
  void noContentHasItsHeadersAndNoBody() throws Exception {
    String answer = exchange("GET /204 HTTP/1.1");
    assertThat(answer).startsWith("HTTP/1.1 204 ");
    assertThat(header(answer, "X-Why")).isEqualTo("done");
    assertThat(body(answer)).isEmpty();
  }

  @Test
  void theEventStreamHeadOverHttp11() throws Exception {
    String answer = exchange("GET /stream HTTP/1.1");
    assertThat(answer).startsWith("HTTP/1.1 201 ");
    assertThat(header(answer, "Content-Type")).isEqualTo("text/event-stream");
    assertThat(header(answer, "Cache-Control")).isEqualTo("no-cache");
    assertThat(header(answer, "Connection")).isEqualTo("keep-alive");
    assertThat(header(answer, "X-Accel-Buffering")).isEqualTo("no");
  }

  @Test
  void theEventStreamHeadOverHttp10HasNoKeepAlive() throws Exception {
    String answer = exchange("GET /stream HTTP/1.0");
    assertThat(answer).startsWith("HTTP/1.1 201 ");
    assertThat(header(answer, "Content-Type")).isEqualTo("text/event-stream");
    assertThat(header(answer, "Connection")).isNull();
  }

  @Test
  void tokensAreSplitTrimmedAndBlankOnesLeftOutAcrossFields() throws Exception {
    String answer =
        exchange(
            "GET /tokens HTTP/1.1",
            "Sec-WebSocket-Protocol: a, ,b",
            "Sec-WebSocket-Protocol:  c ",
            "Connection: keep-alive, UPGRADE");
    assertThat(body(answer)).isEqualTo("[a, b, c] http1=true upgrade=true");
  }

  @Test
  void noTokensWhereTheHeaderIsMissing() throws Exception {
    String answer = exchange("GET /tokens HTTP/1.0");
    assertThat(body(answer)).isEqualTo("[] http1=true upgrade=false");
  }

  // ---------------------------------------------------------------- helpers

  private interface Answer {
    void answer(Request request, Response response, Callback callback);
  }

  private static Handler handler(Answer answer) {
    return new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        answer.answer(request, response, callback);
        return true;
      }
    };
  }

  /** Sends one request with {@code Connection: close} and reads the whole answer. */
  private static String exchange(String requestLine, String... headers) throws IOException {
    StringBuilder request = new StringBuilder(requestLine).append("\r\n");
    request.append("Host: localhost\r\n");
    boolean connection = false;
    for (String h : headers) {
      request.append(h).append("\r\n");
      connection |= h.regionMatches(true, 0, "Connection:", 0, 11);
    }
    if (!connection && requestLine.endsWith("1.1")) {
      request.append("Connection: close\r\n");
    }
    request.append("\r\n");
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
      socket.shutdownOutput();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      return all.toString(StandardCharsets.UTF_8);
    }
  }

  /** The value of the header {@code name} of {@code answer}, or null. */
  private static String header(String answer, String name) {
    String head = answer.substring(0, answer.indexOf("\r\n\r\n"));
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return null;
  }

  /** The body of {@code answer}, de-chunked if need be. */
  private static String body(String answer) {
    String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
    if (!"chunked".equalsIgnoreCase(header(answer, "Transfer-Encoding"))) {
      return body;
    }
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (true) {
      int eol = body.indexOf("\r\n", at);
      int size = Integer.parseInt(body.substring(at, eol).trim(), 16);
      if (size == 0) {
        return out.toString();
      }
      out.append(body, eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
  }
}
