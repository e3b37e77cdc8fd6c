package io.servicekit.jetty.middleware;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * A minimal SSE endpoint for middleware tests (the real SSE support is another package): each GET
 * opens a {@code text/event-stream}, sends {@code data: hello}, and stays open until {@link
 * #endAll(String)} sends a final event and ends every stream.
 */
final class TestStreams extends Handler.Abstract {
  /** {@code ready} completes when the first write is done: Jetty allows one write at a time. */
  private record Stream(Response response, Callback callback, CompletableFuture<Void> ready) {}

  private final Set<Stream> open = ConcurrentHashMap.newKeySet();

  TestStreams() {
    super(InvocationType.NON_BLOCKING);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    response.setStatus(200);
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

  int openStreams() {
    return open.size();
  }

  /** Sends {@code event: <name>} to every open stream and ends it. */
  void endAll(String finalEvent) {
    for (Stream s : open) {
      open.remove(s);
      s.ready.thenRun(
          () ->
              s.response.write(true, utf8("event: " + finalEvent + "\ndata: bye\n\n"), s.callback));
    }
  }

  private static ByteBuffer utf8(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A raw SSE client: headers first, then events as they arrive. */
  static final class Client implements AutoCloseable {
    private final Socket socket;
    final Http.Reply head;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    Client(int port, String path, String... headers) throws IOException {
      socket = new Socket();
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      StringBuilder sb = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n");
      sb.append("Accept: text/event-stream\r\n");
      for (String h : headers) {
        sb.append(h).append("\r\n");
      }
      sb.append("\r\n");
      socket.getOutputStream().write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = socket.getInputStream();
      head = Http.read(in, true); // reads headers; the body stays in the stream
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  boolean chunked =
                      head.headers("transfer-encoding").stream()
                          .anyMatch(v -> v.equalsIgnoreCase("chunked"));
                  for (String l = Http.line(in); l != null; l = Http.line(in)) {
                    if (chunked && l.matches("[0-9a-fA-F]+")) {
                      continue; // chunk sizes (each test event fits one chunk)
                    }
                    lines.add(l);
                  }
                } catch (IOException e) {
                  // closed
                }
                lines.add("<eof>");
              });
    }

    /** The next non-empty line, waiting up to 10 s. */
    String nextLine() throws InterruptedException {
      while (true) {
        String l = lines.poll(10, TimeUnit.SECONDS);
        if (l == null) {
          throw new AssertionError("no SSE line within 10 s");
        }
        if (!l.isEmpty()) {
          return l;
        }
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
