package io.servicekit.client;

import io.servicekit.internal.Check;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * A client for Streamable HTTP endpoints (the MCP "POST that optionally streams" pattern): each
 * request is a {@code POST} of a JSON body with {@code Accept: application/json,
 * text/event-stream}, and the server picks the answer — one JSON body ({@link
 * StreamableResponse.Json}), an event stream ({@link StreamableResponse.Events}), or nothing
 * ({@link StreamableResponse.Empty}).
 *
 * <pre>{@code
 * StreamableClient client = StreamableClient.builder().header("Mcp-Session-Id", session).build();
 * try (StreamableResponse r = client.post(uri, Map.of("method", "tools/list"))) {
 *   switch (r) {
 *     case StreamableResponse.Json json -> handle(json.value());
 *     case StreamableResponse.Events events -> events.forEachRemaining(e -> handle(e.data()));
 *     case StreamableResponse.Empty empty -> {}
 *   }
 * }
 * }</pre>
 *
 * <p>Errors: a non-2xx status is an {@link HttpStatusException} carrying the status and the body
 * (at most 64 KiB read); a 2xx with a body that is neither JSON nor an event stream too.
 * Thread-safe; one instance serves any number of concurrent requests.
 */
public final class StreamableClient {
  private static final int MAX_ERROR_BODY = 64 << 10;

  private final HttpClient http;
  private final Map<String, String> headers;
  private final @Nullable Duration timeout;
  private final JsonMapper mapper;
  private final int maxLineBytes;
  private final int maxEventBytes;

  private StreamableClient(Builder b) {
    this.http =
        b.httpClient != null
            ? b.httpClient
            : SseClient.ownHttpClient(Duration.ofSeconds(10), b.sslContext);
    this.headers = Map.copyOf(b.headers);
    this.timeout = b.timeout;
    this.mapper = b.mapper;
    this.maxLineBytes = b.maxLineBytes;
    this.maxEventBytes = b.maxEventBytes;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@link #post(URI, Object, Map)} without per-request headers. */
  public StreamableResponse post(URI uri, Object body) throws InterruptedException {
    return post(uri, body, Map.of());
  }

  /**
   * POSTs {@code body} encoded as JSON.
   *
   * @param extraHeaders headers for this request only (they override the client's)
   * @throws IllegalArgumentException if the body cannot be encoded
   * @throws HttpStatusException on a non-2xx status or an unexpected content type
   * @throws UncheckedIOException on a transport failure
   */
  public StreamableResponse post(URI uri, Object body, Map<String, String> extraHeaders)
      throws InterruptedException {
    String json;
    try {
      json = mapper.writeValueAsString(body);
    } catch (JacksonException e) {
      throw new IllegalArgumentException(
          "cannot encode request body " + (body == null ? "null" : body.getClass().getName()), e);
    }
    return postJson(uri, json, extraHeaders);
  }

  /** POSTs {@code json} (already encoded JSON text) as it is; otherwise as {@link #post}. */
  public StreamableResponse postJson(URI uri, String json, Map<String, String> extraHeaders)
      throws InterruptedException {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(json, "json");
    HttpRequest.Builder rb =
        HttpRequest.newBuilder(uri)
            .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream");
    if (timeout != null) {
      rb.timeout(timeout);
    }
    Map<String, String> all = new LinkedHashMap<>(headers);
    all.putAll(extraHeaders);
    all.forEach(rb::setHeader);
    HttpResponse<InputStream> response;
    try {
      response = http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new UncheckedIOException("POST " + uri + " failed: " + e.getMessage(), e);
    }
    int status = response.statusCode();
    InputStream in = response.body();
    String contentType = response.headers().firstValue("Content-Type").orElse("");
    String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
    try {
      if (status < 200 || status > 299) {
        throw new HttpStatusException(uri, status, readBody(in), "Streamable HTTP request failed");
      }
      if (mediaType.equals("text/event-stream")) {
        return new StreamableResponse.Events(
            status, response.headers(), in, maxLineBytes, maxEventBytes);
      }
      String text = readBody(in);
      if (mediaType.equals("application/json") || mediaType.endsWith("+json")) {
        return new StreamableResponse.Json(status, response.headers(), text, mapper);
      }
      if (text.isEmpty()) {
        return new StreamableResponse.Empty(status, response.headers());
      }
      throw new HttpStatusException(
          uri,
          status,
          text,
          "unexpected Content-Type '"
              + contentType
              + "' (expected application/json or text/event-stream)");
    } catch (IOException e) {
      throw new UncheckedIOException("reading the answer of POST " + uri + " failed", e);
    }
  }

  private static String readBody(InputStream in) throws IOException {
    try (in) {
      return new String(in.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8);
    }
  }

  /** Configures a {@link StreamableClient}; everything has a default. */
  public static final class Builder {
    private @Nullable HttpClient httpClient;
    private @Nullable SSLContext sslContext;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private @Nullable Duration timeout;
    private JsonMapper mapper = JsonMapper.builder().build();
    private int maxLineBytes = 1 << 20;
    private int maxEventBytes = 16 << 20;

    private Builder() {}

    /** The HTTP client to use (default: a new one). */
    public Builder httpClient(HttpClient v) {
      httpClient = Objects.requireNonNull(v, "httpClient");
      return this;
    }

    /**
     * Whom to trust on {@code https:} (e.g. a private CA): the HTTP client this client makes uses
     * it. Default: the JDK's trust store. Not combinable with {@link #httpClient} (configure that
     * client instead).
     */
    public Builder sslContext(SSLContext v) {
      sslContext = Objects.requireNonNull(v, "sslContext");
      return this;
    }

    /** A header sent with every request (e.g. {@code Authorization}, {@code Mcp-Session-Id}). */
    public Builder header(String name, String value) {
      headers.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Time allowed until the response headers arrive (default: none). */
    public Builder timeout(Duration v) {
      timeout = Check.positive("timeout", v);
      return this;
    }

    /**
     * The mapper for request bodies and {@link StreamableResponse.Json#as} (default: Jackson's).
     */
    public Builder mapper(JsonMapper v) {
      mapper = Objects.requireNonNull(v, "mapper");
      return this;
    }

    /** Longest SSE line accepted in an event-stream answer (default 1 MiB). */
    public Builder maxLineBytes(int v) {
      maxLineBytes = Check.positive("maxLineBytes", v);
      return this;
    }

    /** Largest SSE event data accepted in an event-stream answer (default 16 MiB). */
    public Builder maxEventBytes(int v) {
      maxEventBytes = Check.positive("maxEventBytes", v);
      return this;
    }

    public StreamableClient build() {
      if (httpClient != null && sslContext != null) {
        throw new IllegalStateException(
            "sslContext applies to the HttpClient this client makes; with httpClient(...) set the"
                + " SSLContext on that HttpClient instead");
      }
      return new StreamableClient(this);
    }
  }
}
