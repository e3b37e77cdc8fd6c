package io.servicekit.jetty.docs;

import io.servicekit.Rejection;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.StreamableServe;
import io.servicekit.streamable.ContentLengthFraming;
import io.servicekit.streamable.JsonRpc;
import io.servicekit.streamable.JsonRpcException;
import io.servicekit.streamable.SingleResponse;
import io.servicekit.streamable.StreamResponse;
import io.servicekit.streamable.StreamableConfig;
import io.servicekit.streamable.StreamableHandler;
import io.servicekit.streamable.StreamableRequest;
import io.servicekit.streamable.StreamableResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;

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

  /** JSON-RPC over the endpoint: notifications get 202, requests an answer, bad bodies 400. */
  // [START jsonrpc]
  static StreamableResponse jsonRpc(StreamableRequest request) {
    try {
      if (JsonRpc.isBatch(request.body())) {
        int requests = 0;
        for (JsonNode message : JsonRpc.splitBatch(request.body())) {
          if (JsonRpc.classify(message) == JsonRpc.Kind.REQUEST) {
            requests++;
          }
        }
        return SingleResponse.json(200, "{\"requests\":" + requests + "}");
      }
      JsonNode message = JsonRpc.parse(request.body());
      return switch (JsonRpc.classify(message)) {
        case NOTIFICATION, RESPONSE -> SingleResponse.empty(202); // accepted, no body
        case REQUEST ->
            SingleResponse.json(
                200, "{\"jsonrpc\":\"2.0\",\"id\":" + message.get("id") + ",\"result\":{}}");
      };
    } catch (JsonRpcException e) {
      return SingleResponse.json(
          400,
          "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
              + e.code()
              + ",\"message\":\"bad request\"}}");
    }
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

  /** MCP-stdio style framing around any message handler. */
  static void stdio(InputStream in, OutputStream out, UnaryOperator<byte[]> handle)
      throws IOException {
    // [START framing]
    ContentLengthFraming.Reader frames = ContentLengthFraming.reader(in, 1 << 20);
    byte[] message;
    while ((message = frames.read()) != null) { // null: clean end of input
      ContentLengthFraming.write(out, handle.apply(message)); // header and body in one write
    }
    // [END framing]
  }
}
