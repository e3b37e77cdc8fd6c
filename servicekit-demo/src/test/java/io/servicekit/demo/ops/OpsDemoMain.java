package io.servicekit.demo.ops;

import io.servicekit.Codec;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.jetty.GracefulShutdown;
import io.servicekit.jetty.ServiceKitServer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;

/**
 * A small server wired exactly as {@link DemoOps} wires the demo, for the real-process shutdown
 * test: a WebSocket echo, an SSE stream whose "hub" sends a final {@code shutdown} event from an
 * {@code onShutdown} callback, and an upload that answers once it has read the whole body. Prints
 * {@code LISTENING <port>} when ready; exits 0 after a clean shutdown, 1 when something was cut.
 *
 * <p>Args: {@code <drainTimeoutSeconds>}.
 */
public final class OpsDemoMain {
  private OpsDemoMain() {}

  /** Runs the server. */
  public static void main(String[] args) throws Exception {
    DemoOps ops = DemoOps.from(Map.of("DRAIN_TIMEOUT_SECONDS", args.length > 0 ? args[0] : "30"));
    MiniSseHub hub = new MiniSseHub();
    ServiceKitServer server =
        ops.apply(ServiceKitServer.builder().port(0))
            .ws(
                "/ws/echo",
                r -> WsListener.of(Codec.raw(), "Echo", (session, m) -> session.send(m)),
                WsConfig.builder().originPolicy(ops.origins()).build())
            .route("/events", hub)
            .route("/upload", new Upload())
            .build()
            .start();
    GracefulShutdown shutdown = ops.shutdown(server).onShutdown(hub::closeAll);
    shutdown
        .ready() // signal handlers installed: from now on SIGTERM is a graceful shutdown
        .thenRun(
            () -> {
              System.out.println("LISTENING " + server.port());
              System.out.flush();
            });
    try {
      GracefulShutdown.Report report = shutdown.run();
      System.out.println("SHUTDOWN clean: " + report.summary());
      System.out.flush();
      System.exit(0);
    } catch (GracefulShutdown.IncompleteShutdownException e) {
      System.err.println("SHUTDOWN " + e.getMessage());
      System.err.flush();
      System.exit(1);
    }
  }

  /** Streams {@code data: hello}, then holds the stream until {@link #closeAll}. */
  static final class MiniSseHub extends Handler.Abstract {
    /** {@code ready}: the first write is done (Jetty allows one write at a time). */
    private record Stream(Response response, Callback callback, CompletableFuture<Void> ready) {}

    private final Set<Stream> open = ConcurrentHashMap.newKeySet();

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
      Stream s = new Stream(response, callback, new CompletableFuture<>());
      open.add(s);
      response.write(
          false,
          utf8("data: hello\n\n"),
          Callback.from(
              () -> s.ready.complete(null),
              x -> {
                s.ready.completeExceptionally(x);
                callback.failed(x);
              }));
      return true;
    }

    /** Sends a final {@code shutdown} event to every stream and ends it. */
    void closeAll() {
      for (Stream s : open) {
        open.remove(s);
        s.ready
            .thenRun(
                () -> s.response.write(true, utf8("event: shutdown\ndata: bye\n\n"), s.callback))
            .join(); // sent before the callback returns, while the connection is open
      }
    }
  }

  /** Reads the whole body, then answers {@code got <n>}. */
  static final class Upload extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      System.out.println("UPLOAD STARTED");
      System.out.flush();
      Content.Source.asString(
          request,
          StandardCharsets.UTF_8,
          new Promise<String>() {
            @Override
            public void succeeded(String body) {
              response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
              response.write(true, utf8("got " + body.length()), callback);
            }

            @Override
            public void failed(Throwable x) {
              callback.failed(x);
            }
          });
      return true;
    }
  }

  private static ByteBuffer utf8(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }
}
