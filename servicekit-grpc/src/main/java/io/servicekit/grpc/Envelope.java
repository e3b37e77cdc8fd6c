package io.servicekit.grpc;

import java.util.Objects;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * One gRPC-over-WebSocket control message, the JSON envelope of the Go library's {@code grpcws}
 * package: {@code {"type":"data","data":...}}, {@code {"type":"error","error":"..."}}, {@code
 * {"type":"stream_end"}}, {@code {"type":"ping","pingId":n}} from the server; {@code data}, {@code
 * pong}, {@code cancel} and {@code end_send} from the client.
 *
 * <p>Written with {@code type} first; {@code data}, {@code error}, {@code code} and {@code pingId}
 * are omitted when absent (null, empty or zero). {@code code} (the gRPC status code name of an
 * error) is an addition the Go library does not send; its clients ignore it.
 *
 * @param type the message type, one of the constants of this record
 * @param data the payload as JSON text (embedded verbatim), or null
 * @param error the error text, or null
 * @param code the gRPC status code name of an error (e.g. {@code NOT_FOUND}), or null
 * @param pingId the heartbeat id, or 0
 */
public record Envelope(
    String type,
    @Nullable String data,
    @Nullable String error,
    @Nullable String code,
    long pingId) {
  /** A message carrying one request or response. */
  public static final String DATA = "data";

  /** An error report (server to client). */
  public static final String ERROR = "error";

  /** The upstream stream ended normally (server to client). */
  public static final String STREAM_END = "stream_end";

  /** Heartbeat (server to client). */
  public static final String PING = "ping";

  /** Heartbeat answer (client to server). */
  public static final String PONG = "pong";

  /** Cancel the upstream call (client to server). */
  public static final String CANCEL = "cancel";

  /** Half-close: the client sends no more data (client to server). */
  public static final String END_SEND = "end_send";

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Requires a non-empty type. */
  public Envelope {
    Objects.requireNonNull(type, "type");
    if (type.isEmpty()) {
      throw new IllegalArgumentException("envelope type must not be empty");
    }
  }

  /** {@code {"type":"data","data":<json>}}; {@code json} must be one JSON value. */
  public static Envelope data(String json) {
    return new Envelope(DATA, Objects.requireNonNull(json, "json"), null, null, 0);
  }

  /** {@code {"type":"error","error":"<message>"}}. */
  public static Envelope error(String message) {
    return new Envelope(ERROR, null, message, null, 0);
  }

  /** {@code {"type":"error","error":"<message>","code":"<code>"}}. */
  public static Envelope error(String message, @Nullable String code) {
    return new Envelope(ERROR, null, message, code, 0);
  }

  /** {@code {"type":"stream_end"}}. */
  public static Envelope streamEnd() {
    return new Envelope(STREAM_END, null, null, null, 0);
  }

  /** {@code {"type":"ping","pingId":n}}. */
  public static Envelope ping(long pingId) {
    return new Envelope(PING, null, null, null, pingId);
  }

  /** A message of {@code type} with no other field ({@code cancel}, {@code end_send}, ...). */
  public static Envelope of(String type) {
    return new Envelope(type, null, null, null, 0);
  }

  /** The envelope as compact JSON, {@code type} first, empty fields omitted. */
  public String toJson() {
    StringBuilder sb = new StringBuilder(32 + (data == null ? 0 : data.length()));
    sb.append("{\"type\":").append(quote(type));
    if (data != null) {
      sb.append(",\"data\":").append(data);
    }
    if (error != null && !error.isEmpty()) {
      sb.append(",\"error\":").append(quote(error));
    }
    if (code != null && !code.isEmpty()) {
      sb.append(",\"code\":").append(quote(code));
    }
    if (pingId != 0) {
      sb.append(",\"pingId\":").append(pingId);
    }
    return sb.append('}').toString();
  }

  static String quote(String s) {
    return JSON.writeValueAsString(s);
  }
}
