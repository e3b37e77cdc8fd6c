package io.servicekit.jetty.docs;

import io.servicekit.Rejection;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.streamable.SingleResponse;
import io.servicekit.streamable.StreamResponse;
import io.servicekit.streamable.StreamableConfig;
import io.servicekit.streamable.StreamableHandler;
import io.servicekit.streamable.StreamableRequest;
import io.servicekit.streamable.StreamableResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The samples of docs/streamable.md (regions between {@code [START name]} and {@code [END name]}),
 * run by {@code StreamableExamplesTest}.
 */
final class StreamableExamples {
  private StreamableExamples() {}

  /** A POST endpoint answering JSON, or a stream of progress events when the client accepts it. */
  static ServiceKitServer.Builder basic(ServiceKitServer.Builder server) {
    // [START basic]
    StreamableHandler handler =
        request -> {
          if (!request.method().equals("POST")) {
            throw Rejection.of(405, "use POST").header("Allow", "POST");
          }
          if (!request.accept().acceptsEventStream()) {
            return SingleResponse.json(200, "{\"result\":42}");
          }
          return StreamResponse.of(
              sink -> {
                for (int pct = 0; pct <= 100; pct += 50) {
                  sink.send("progress", null, "{\"pct\":" + pct + "}");
                }
                sink.send("result", null, "{\"result\":42}");
              }); // returning ends the stream
        };
    return server.route("/rpc", StreamableServe.handler(handler));
    // [END basic]
  }

  static StreamableConfig config() {
    // [START config]
    return StreamableConfig.builder()
        .maxBodyBytes(1 << 20) // larger request bodies get 413
        .queueCapacity(16) // unwritten events before send() blocks
        .maxQueuedBytes(256 * 1024) // unwritten bytes before send() blocks
        .keepalivePeriod(Duration.ofSeconds(10)) // ": keepalive" comments; ZERO disables
        .writeTimeout(Duration.ofSeconds(20)) // a client reading nothing that long is dropped
        .retry(Duration.ofSeconds(2)) // "retry: 2000" first on every stream
        .build();
    // [END config]
  }

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** A JSON body over the endpoint: notifications get 202, requests an answer, bad JSON 400. */
  // [START jsonrpc]
  static StreamableResponse jsonRpc(StreamableRequest request) {
    JsonNode message;
    try {
      message = JSON.readTree(request.body());
    } catch (JacksonException e) {
      return SingleResponse.json(
          400,
          "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"bad JSON\"}}");
    }
    if (!message.has("id")) {
      return SingleResponse.empty(202); // a notification: accepted, no body
    }
    return SingleResponse.json(
        200, "{\"jsonrpc\":\"2.0\",\"id\":" + message.get("id") + ",\"result\":{}}");
  }

  // [END jsonrpc]

  /** A producer that forwards application events until the client leaves. */
  static StreamResponse forward(BlockingQueue<String> updates) {
    // [START producer]
    return StreamResponse.of(
        sink -> {
          sink.onClose(() -> updates.offer("unsubscribed")); // exactly once, however it ended
          while (true) {
            String update = updates.take(); // interrupted if the client goes away
            if (update.equals("done")) {
              return;
            }
            sink.send("update", null, update); // throws StreamClosedException once it is gone
          }
        });
    // [END producer]
  }

  static BlockingQueue<String> queue() {
    return new LinkedBlockingQueue<>();
  }
}
