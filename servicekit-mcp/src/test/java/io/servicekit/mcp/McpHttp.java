package io.servicekit.mcp;

import io.servicekit.sse.SseParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;

/** A small MCP-over-HTTP test client on {@link HttpClient}: raw requests and SSE reading. */
final class McpHttp {
  static final Duration WAIT = Duration.ofSeconds(20);
  static final String BOTH = "application/json, text/event-stream";

  final HttpClient client = HttpClient.newHttpClient();
  final URI uri;

  McpHttp(URI uri) {
    this.uri = uri;
  }

  /** A POST of {@code body} with the usual headers plus {@code headers} (null value: omit). */
  HttpResponse<String> post(String body, Map<String, String> headers) throws Exception {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Accept", BOTH);
    h.put("Content-Type", "application/json");
    h.putAll(headers);
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri).timeout(WAIT).POST(HttpRequest.BodyPublishers.ofString(body));
    h.forEach(
        (k, v) -> {
          if (v != null) {
            b.header(k, v);
          }
        });
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A request with {@code method}, no body, and {@code headers}. */
  HttpResponse<String> send(String method, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri)
            .timeout(WAIT)
            .method(method, HttpRequest.BodyPublishers.noBody());
    headers.forEach(b::header);
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Initializes a session announcing {@code version}; returns its id. */
  String initialize(String version) throws Exception {
    HttpResponse<String> r = post(initializeBody(version), Map.of());
    if (r.statusCode() != 200) {
      throw new AssertionError("initialize: " + r.statusCode() + " " + r.body());
    }
    String id = r.headers().firstValue("Mcp-Session-Id").orElseThrow();
    HttpResponse<String> n =
        post(
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
            Map.of("Mcp-Session-Id", id, "MCP-Protocol-Version", version));
    if (n.statusCode() != 202) {
      throw new AssertionError("initialized: " + n.statusCode() + " " + n.body());
    }
    return id;
  }

  static String initializeBody(String version) {
    return "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\""
        + version
        + "\",\"capabilities\":{\"sampling\":{}},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
  }

  static String call(int id, String tool) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"tools/call\",\"params\":{\"name\":\""
        + tool
        + "\",\"arguments\":{},\"_meta\":{\"progressToken\":\"p"
        + id
        + "\"}}}";
  }

  static JsonNode json(String s) {
    return McpJson.parse(s);
  }

  /** An open event stream read on a thread of its own into a queue. */
  static final class Events implements AutoCloseable {
    final HttpResponse<InputStream> response;
    final BlockingQueue<SseParser.Event> events = new LinkedBlockingQueue<>();
    final java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);

    Events(HttpResponse<InputStream> response) {
      this.response = response;
      Thread.ofVirtual()
          .start(
              () -> {
                SseParser parser = new SseParser(events::add);
                byte[] buf = new byte[8192];
                try (InputStream in = response.body()) {
                  int n;
                  while ((n = in.read(buf)) >= 0) {
                    parser.feed(buf, 0, n);
                  }
                } catch (IOException e) {
                  // closed
                } finally {
                  ended.countDown();
                }
              });
    }

    /** The next event; fails after {@link #WAIT}. */
    SseParser.Event next() throws InterruptedException {
      SseParser.Event e = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (e == null) {
        throw new AssertionError("no SSE event within " + WAIT);
      }
      return e;
    }

    /** Whether the server ended the stream within {@link #WAIT}. */
    boolean awaitEnd() throws InterruptedException {
      return ended.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws IOException {
      response.body().close();
    }
  }

  /** A POST answered with an event stream. */
  Events postStream(String body, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body));
    b.header("Accept", BOTH).header("Content-Type", "application/json");
    headers.forEach(b::header);
    return open(b.build());
  }

  /** A GET event stream. */
  Events get(Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET().header("Accept", "text/event-stream");
    headers.forEach(b::header);
    return open(b.build());
  }

  private Events open(HttpRequest request) throws Exception {
    HttpResponse<InputStream> r = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() != 200
        || !r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
      String body = new String(r.body().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      throw new AssertionError("expected an event stream, got " + r.statusCode() + " " + body);
    }
    return new Events(r);
  }
}
