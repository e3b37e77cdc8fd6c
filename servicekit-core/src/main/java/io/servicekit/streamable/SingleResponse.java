package io.servicekit.streamable;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One complete response: a status, headers and a body (possibly empty). {@link #json} sets {@code
 * Content-Type: application/json}; {@link #empty} (e.g. 202 Accepted for a JSON-RPC notification)
 * has no body and no content type. A {@code Content-Type} given in {@link #headers()} is sent as
 * is.
 *
 * @param status 200-599
 * @param headers extra headers (copied; names and values without CR/LF)
 * @param body the body bytes (copied), empty for none
 */
public record SingleResponse(int status, Map<String, List<String>> headers, byte[] body)
    implements StreamableResponse {
  /** The content type of {@link #json}. */
  public static final String JSON = "application/json";

  public SingleResponse {
    if (status < 200 || status > 599) {
      throw new IllegalArgumentException("SingleResponse status must be 200-599: " + status);
    }
    headers = StreamableResponse.copyHeaders(headers);
    body = Objects.requireNonNull(body, "body").clone();
  }

  /** {@code status} with a JSON {@code body} given as UTF-8 bytes. */
  public static SingleResponse json(int status, byte[] body) {
    return new SingleResponse(status, Map.of("Content-Type", List.of(JSON)), body);
  }

  /** {@code status} with a JSON {@code body}, sent as UTF-8. */
  public static SingleResponse json(int status, String body) {
    return json(status, body.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code status} with no body and no content type, e.g. {@code empty(202)}. */
  public static SingleResponse empty(int status) {
    return new SingleResponse(status, Map.of(), new byte[0]);
  }

  /** This response with one more header value. */
  public SingleResponse withHeader(String name, String value) {
    return new SingleResponse(status, StreamableResponse.withHeader(headers, name, value), body);
  }

  /** The body (a copy). */
  @Override
  public byte[] body() {
    return body.clone();
  }

  /** The body decoded as UTF-8. */
  public String bodyAsString() {
    return new String(body, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SingleResponse r
        && r.status == status
        && r.headers.equals(headers)
        && java.util.Arrays.equals(r.body, body);
  }

  @Override
  public int hashCode() {
    return Objects.hash(status, headers, java.util.Arrays.hashCode(body));
  }

  @Override
  public String toString() {
    return "SingleResponse[" + status + ", " + headers + ", " + body.length + " bytes]";
  }
}
