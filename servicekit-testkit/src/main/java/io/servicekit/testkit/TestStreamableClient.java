package io.servicekit.testkit;

import io.servicekit.sse.SseParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A client for Streamable HTTP endpoints in tests: posts a body and gives back either the single
 * response or the parsed events of a streamed one. By default it sends {@code Accept:
 * application/json, text/event-stream} and {@code Content-Type: application/json}, as MCP clients
 * do; {@link #header} adds or replaces default headers (e.g. {@code Mcp-Session-Id}).
 *
 * <pre>{@code
 * TestStreamableClient client = TestStreamableClient.of(server.uri().resolve("/mcp"));
 * TestStreamableClient.Response r = client.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
 * if (r.isEventStream()) {
 *   List<SseParser.Event> events = r.events();
 * }
 * try (TestStreamableClient.Stream s = client.open("POST", "{...}")) {
 *   SseParser.Event first = s.awaitEvent(); // while the stream goes on
 * }
 * }</pre>
 *
 * <p>The {@code await*} methods wait at most {@link #TIMEOUT} and fail with an {@link
 * AssertionError} instead; nothing sleeps. Uses HTTP/1.1 on the JDK's {@link HttpClient}.
 */
public final class TestStreamableClient {
  /** Longest wait of the {@code await*} methods. */
  public static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  private final URI endpoint;
  private final Map<String, String> headers = new LinkedHashMap<>();

  private TestStreamableClient(URI endpoint) {
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    headers.put("Accept", "application/json, text/event-stream");
    headers.put("Content-Type", "application/json");
  }

  /** A client for {@code endpoint}. */
  public static TestStreamableClient of(URI endpoint) {
    return new TestStreamableClient(endpoint);
  }

  /** Sets a header sent with every request; a null value removes it. Returns this client. */
  public TestStreamableClient header(String name, String value) {
    headers.keySet().removeIf(k -> k.equalsIgnoreCase(name));
    if (value != null) {
      headers.put(name, value);
    }
    return this;
  }

  /** A complete response. */
  public record Response(int status, HttpHeaders headers, String body) {
    /** The first value of header {@code name}. */
    public Optional<String> header(String name) {
      return headers.firstValue(name);
    }

    /** Whether the response is an event stream. */
    public boolean isEventStream() {
      return header("Content-Type")
          .map(ct -> ct.toLowerCase(Locale.ROOT).startsWith("text/event-stream"))
          .orElse(false);
    }

    /**
     * The events of a streamed response.
     *
     * @throws AssertionError if the response is not an event stream
     */
    public List<SseParser.Event> events() {
      if (!isEventStream()) {
        throw new AssertionError(
            "not an event stream: "
                + status
                + " "
                + header("Content-Type").orElse("")
                + " "
                + body);
      }
      return SseParser.parse(body);
    }
  }

  /** Posts {@code body} and reads the whole response (a stream until it ends). */
  public Response post(String body) throws IOException, InterruptedException {
    return send("POST", body);
  }

  /** Sends {@code method} with {@code body} (null for none) and reads the whole response. */
  public Response send(String method, String body) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(request(method, body), HttpResponse.BodyHandlers.ofString());
    return new Response(r.statusCode(), r.headers(), r.body());
  }

  /** Sends {@code method} with {@code body} (null for none) and reads the answer as it comes. */
  public Stream open(String method, String body) throws IOException, InterruptedException {
    HttpResponse<InputStream> r =
        HTTP.send(request(method, body), HttpResponse.BodyHandlers.ofInputStream());
    return new Stream(r);
  }

  private HttpRequest request(String method, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(endpoint)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    headers.forEach(b::header);
    return b.build();
  }

  /** A response read incrementally on a thread of its own; close it to hang up. */
  public static final class Stream implements AutoCloseable, SseParser.Listener {
    private final HttpResponse<InputStream> response;
    private final BlockingQueue<SseParser.Event> events = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> comments = new LinkedBlockingQueue<>();
    private final CountDownLatch ended = new CountDownLatch(1);
    private final List<Throwable> failures = new ArrayList<>();

    private Stream(HttpResponse<InputStream> response) {
      this.response = response;
      Thread.ofVirtual().name("streamable-test-client").start(this::read);
    }

    private void read() {
      SseParser parser = new SseParser(this);
      try (InputStream in = response.body()) {
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) >= 0) {
          parser.feed(buf, 0, n);
        }
        parser.end();
      } catch (IOException | RuntimeException e) {
        synchronized (failures) {
          failures.add(e);
        }
      } finally {
        ended.countDown();
      }
    }

    /** The status code. */
    public int status() {
      return response.statusCode();
    }

    /** The response headers. */
    public HttpHeaders headers() {
      return response.headers();
    }

    @Override
    public void onEvent(SseParser.Event event) {
      events.add(event);
    }

    @Override
    public void onComment(String comment) {
      comments.add(comment);
    }

    /** The next event, waiting at most {@link #TIMEOUT}. */
    public SseParser.Event awaitEvent() throws InterruptedException {
      SseParser.Event e = events.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (e == null) {
        throw new AssertionError("no event within " + TIMEOUT);
      }
      return e;
    }

    /** The next {@code n} events. */
    public List<SseParser.Event> awaitEvents(int n) throws InterruptedException {
      List<SseParser.Event> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(awaitEvent());
      }
      return out;
    }

    /** The next comment's text (e.g. {@code keepalive}). */
    public String awaitComment() throws InterruptedException {
      String c = comments.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (c == null) {
        throw new AssertionError("no comment within " + TIMEOUT);
      }
      return c;
    }

    /** Waits until the server ended the response; returns the events not yet taken. */
    public List<SseParser.Event> awaitEnd() throws InterruptedException {
      if (!ended.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("the response did not end within " + TIMEOUT);
      }
      List<SseParser.Event> rest = new ArrayList<>();
      events.drainTo(rest);
      return rest;
    }

    /** Failures while reading (e.g. the connection was reset), in order. */
    public List<Throwable> failures() {
      synchronized (failures) {
        return List.copyOf(failures);
      }
    }

    /** Hangs up: closes the response body, which closes the connection if it is still open. */
    @Override
    public void close() {
      try {
        response.body().close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
