package io.servicekit.client;

import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.DecodeException;
import io.servicekit.EncodeException;
import io.servicekit.Message;
import io.servicekit.Scheduler;
import io.servicekit.internal.Check;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A client for gRPC streaming over WebSocket (the envelope of ServiceKit's {@code servicekit-grpc}
 * bridges and of the Go library's {@code grpcws}): requests go out as {@code
 * {"type":"data","data":<json>}}, {@link #endSend()} half-closes ({@code end_send}), {@link
 * #cancel()} cancels the upstream call ({@code cancel}); the server's {@code data}, {@code
 * stream_end} and {@code error} (with the gRPC status {@code code} when the bridge sends one) reach
 * the {@link Listener}; heartbeat pings are answered with pongs.
 *
 * <p>One client is one call: it never reconnects (a gRPC stream cannot be resumed), and it never
 * closes the socket by itself, not even after {@code stream_end} — call {@link #close()}.
 *
 * <p>Payloads are JSON, converted by a {@link PayloadCodec}; {@link PayloadCodec#json} maps them
 * with Jackson. For protobuf messages, a codec built on protobuf's {@code JsonFormat} gives the
 * bridge's protojson (this module does not depend on protobuf).
 *
 * @param <Req> the request message type
 * @param <Resp> the response message type
 */
public final class GrpcWsClient<Req, Resp> implements AutoCloseable {
  /**
   * Converts payloads to and from their JSON text.
   *
   * @param <Req> the request type
   * @param <Resp> the response type
   */
  public interface PayloadCodec<Req, Resp> {
    /** The JSON text of one request. */
    String encode(Req request);

    /**
     * One response from its JSON text.
     *
     * @throws RuntimeException if it does not parse (reported to {@link Listener#onError})
     */
    Resp decode(String json);

    /** Jackson mapping: requests written as JSON, responses read as {@code responseType}. */
    static <Req, Resp> PayloadCodec<Req, Resp> json(Class<Resp> responseType) {
      return json(JsonMapper.builder().build(), responseType);
    }

    /** {@link #json(Class)} with a mapper of your configuration. */
    static <Req, Resp> PayloadCodec<Req, Resp> json(JsonMapper mapper, Class<Resp> responseType) {
      Objects.requireNonNull(mapper, "mapper");
      Objects.requireNonNull(responseType, "responseType");
      return new PayloadCodec<>() {
        @Override
        public String encode(Req request) {
          return mapper.writeValueAsString(request);
        }

        @Override
        public Resp decode(String json) {
          return mapper.readValue(json, responseType);
        }
      };
    }
  }

  /**
   * Receives the call's events; every method has an empty default; calls never overlap.
   *
   * @param <Resp> the response type
   */
  public interface Listener<Resp> {
    /** The WebSocket is open (the bridge has started the upstream call). */
    default void onOpen() {}

    /** One response message. */
    default void onData(Resp response) {}

    /** The upstream call completed normally; no more data follows. */
    default void onStreamEnd() {}

    /**
     * An error: a {@link ServerErrorException} for the server's {@code error} envelope ({@link
     * ServerErrorException#code()} is the gRPC status name if the bridge sent one), a payload that
     * did not decode, a refused handshake ({@link HttpStatusException}), or a transport failure.
     */
    default void onError(Throwable error) {}

    /** The bridge sent heartbeat {@code pingId}; the pong has already been queued. */
    default void onPing(long pingId) {}

    /** The WebSocket closed. */
    default void onClose(CloseStatus status) {}
  }

  private static final JsonMapper MAPPER = JsonMapper.builder().build();

  /** The envelope codec: incoming text parsed as a JSON tree, outgoing text sent as it is. */
  private static final Codec<JsonNode, String> ENVELOPES =
      new Codec<>() {
        @Override
        public JsonNode decode(Message frame) throws DecodeException {
          String text =
              frame instanceof Message.Text t
                  ? t.text()
                  : new String(
                      ((Message.Binary) frame).bytes(), java.nio.charset.StandardCharsets.UTF_8);
          try {
            return MAPPER.readTree(text);
          } catch (JacksonException e) {
            throw new DecodeException("invalid envelope JSON: " + e.getOriginalMessage(), e);
          }
        }

        @Override
        public Message encode(String message) {
          return Message.text(message);
        }
      };

  private final PayloadCodec<Req, Resp> payloads;
  private final Listener<Resp> listener;
  private final WsClient<JsonNode, String> ws;

  private GrpcWsClient(Builder<Req, Resp> b) {
    this.payloads = b.payloads;
    this.listener = b.listener;
    WsClient.Builder<JsonNode, String> wb =
        WsClient.builder(b.uri, ENVELOPES)
            .reconnect(ReconnectPolicy.none())
            .connectTimeout(b.connectTimeout)
            .maxQueuedMessages(b.maxQueuedMessages)
            .scheduler(b.scheduler)
            .listener(new Dispatcher());
    b.headers.forEach(wb::header);
    if (b.httpClient != null) {
      wb.httpClient(b.httpClient);
    }
    if (b.sslContext != null) {
      wb.sslContext(b.sslContext);
    }
    this.ws = wb.build();
  }

  /** A builder for a call at {@code uri} with {@code payloads} converting the messages. */
  public static <Req, Resp> Builder<Req, Resp> builder(URI uri, PayloadCodec<Req, Resp> payloads) {
    return new Builder<>(uri, payloads);
  }

  /** Opens the WebSocket; completes when open, fails if the handshake fails. */
  public CompletableFuture<Void> connect() {
    return ws.connect();
  }

  /**
   * Sends one request message ({@code {"type":"data","data":...}}).
   *
   * @throws EncodeException if the codec cannot encode it
   * @throws IllegalStateException if the client is closed
   */
  public CompletableFuture<Void> send(Req request) {
    String json;
    try {
      json = payloads.encode(request);
    } catch (RuntimeException e) {
      throw new EncodeException("cannot encode request " + request, e);
    }
    return ws.send("{\"type\":\"data\",\"data\":" + json + "}");
  }

  /** Half-closes the call: no more requests ({@code {"type":"end_send"}}). */
  public CompletableFuture<Void> endSend() {
    return ws.send("{\"type\":\"end_send\"}");
  }

  /** Cancels the upstream call ({@code {"type":"cancel"}}); the socket stays open. */
  public CompletableFuture<Void> cancel() {
    return ws.send("{\"type\":\"cancel\"}");
  }

  /** Closes the WebSocket (1000), which also cancels an unfinished upstream call. */
  @Override
  public void close() {
    ws.close();
  }

  /** Completes when the WebSocket has closed. */
  public CompletableFuture<CloseStatus> closed() {
    return ws.closed();
  }

  /** Whether the WebSocket is open. */
  public boolean isOpen() {
    return ws.isOpen();
  }

  private final class Dispatcher implements WsClient.Listener<JsonNode> {
    @Override
    public void onOpen() {
      listener.onOpen();
    }

    @Override
    public void onMessage(JsonNode envelope) {
      JsonNode type = envelope == null ? null : envelope.get("type");
      if (type == null || !type.isString()) {
        listener.onError(
            new DecodeException("envelope without a string \"type\": " + abbreviate(envelope)));
        return;
      }
      switch (type.asString()) {
        case "data" -> {
          JsonNode data = envelope.get("data");
          Resp value;
          try {
            value = payloads.decode(data == null ? "null" : MAPPER.writeValueAsString(data));
          } catch (RuntimeException e) {
            listener.onError(
                new DecodeException("response payload did not decode: " + e.getMessage(), e));
            return;
          }
          listener.onData(value);
        }
        case "stream_end" -> listener.onStreamEnd();
        case "error" -> {
          JsonNode error = envelope.get("error");
          JsonNode code = envelope.get("code");
          listener.onError(
              new ServerErrorException(
                  error == null ? "" : error.asString(), code == null ? null : code.asString()));
        }
        default -> {} // pong answers to our pings, future types: ignored
      }
    }

    @Override
    public void onError(Throwable error) {
      listener.onError(error);
    }

    @Override
    public void onPing(long pingId) {
      listener.onPing(pingId);
    }

    @Override
    public void onClose(CloseStatus status) {
      listener.onClose(status);
    }
  }

  private static String abbreviate(JsonNode node) {
    String s = String.valueOf(node);
    return s.length() <= 100 ? s : s.substring(0, 100) + "...";
  }

  /**
   * Configures a {@link GrpcWsClient}.
   *
   * @param <Req> the request type
   * @param <Resp> the response type
   */
  public static final class Builder<Req, Resp> {
    private final URI uri;
    private final PayloadCodec<Req, Resp> payloads;
    private final java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
    private Listener<Resp> listener = new Listener<>() {};
    private Duration connectTimeout = Duration.ofSeconds(10);
    private int maxQueuedMessages = 1000;
    private Scheduler scheduler = Scheduler.system();
    private @Nullable HttpClient httpClient;
    private @Nullable SSLContext sslContext;

    private Builder(URI uri, PayloadCodec<Req, Resp> payloads) {
      this.uri = Objects.requireNonNull(uri, "uri");
      this.payloads = Objects.requireNonNull(payloads, "payloads");
    }

    /** A handshake header (e.g. {@code Authorization}). */
    public Builder<Req, Resp> header(String name, String value) {
      headers.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder<Req, Resp> listener(Listener<Resp> v) {
      listener = Objects.requireNonNull(v, "listener");
      return this;
    }

    /** Handshake timeout (default 10 s). */
    public Builder<Req, Resp> connectTimeout(Duration v) {
      connectTimeout = Check.positive("connectTimeout", v);
      return this;
    }

    /** Bound of the send queue (default 1000). */
    public Builder<Req, Resp> maxQueuedMessages(int v) {
      maxQueuedMessages = v;
      return this;
    }

    /** Clock for the close timeout (default {@link Scheduler#system()}). */
    public Builder<Req, Resp> scheduler(Scheduler v) {
      scheduler = Objects.requireNonNull(v, "scheduler");
      return this;
    }

    /** The HTTP client to connect with. */
    public Builder<Req, Resp> httpClient(HttpClient v) {
      httpClient = Objects.requireNonNull(v, "httpClient");
      return this;
    }

    /**
     * Whom to trust on {@code wss:} (e.g. a private CA): the HTTP client this client makes uses it.
     * Default: the JDK's trust store. Not combinable with {@link #httpClient} (configure that
     * client instead).
     */
    public Builder<Req, Resp> sslContext(SSLContext v) {
      sslContext = Objects.requireNonNull(v, "sslContext");
      return this;
    }

    public GrpcWsClient<Req, Resp> build() {
      if (httpClient != null && sslContext != null) {
        throw new IllegalStateException(
            "sslContext applies to the HttpClient this client makes; with httpClient(...) set the"
                + " SSLContext on that HttpClient instead");
      }
      return new GrpcWsClient<>(this);
    }
  }
}
