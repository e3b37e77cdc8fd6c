package io.servicekit.demo.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.testkit.TestWsClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Graceful shutdown of a real process: start a server wired like the demo ({@link OpsDemoMain}),
 * open a WebSocket, an SSE stream and an upload in flight, send SIGTERM ({@link Process#destroy()}
 * is SIGTERM on Linux), and check what clients see and how the process ends.
 */
class GracefulShutdownProcessTest {
  private Process process;
  private Path out;
  private Path err;

  /**
   * Starts {@link OpsDemoMain} with the running test's {@code java} and class path. Output goes to
   * files: {@link Process#destroy()} closes the parent's ends of the pipes, so lines printed during
   * shutdown would be lost on a pipe.
   */
  private int start(String drainSeconds) throws Exception {
    String java = ProcessHandle.current().info().command().orElseThrow();
    out = Files.createTempFile("ops-demo", ".out");
    err = Files.createTempFile("ops-demo", ".err");
    process =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                OpsDemoMain.class.getName(),
                drainSeconds)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    String listening =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    Files.readAllLines(out).stream()
                        .filter(l -> l.startsWith("LISTENING "))
                        .findFirst(),
                o -> o.isPresent() || !process.isAlive())
            .orElse(null);
    if (listening == null) {
      throw new AssertionError("server did not start:\n" + stderr());
    }
    return Integer.parseInt(listening.substring("LISTENING ".length()).trim());
  }

  private String stdout() throws IOException {
    return Files.readString(out);
  }

  private String stderr() throws IOException {
    return Files.readString(err);
  }

  @AfterEach
  void kill() throws IOException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
    if (out != null) {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  @Test
  void sigtermClosesWebSocketsEndsSseRefusesNewWorkAndLetsInFlightFinish() throws Exception {
    int port = start("10");
    TestWsClient ws =
        TestWsClient.builder(java.net.URI.create("ws://localhost:" + port + "/ws/echo"))
            .header("Origin", "http://localhost:" + port)
            .autoPong(true)
            .connect();
    ws.sendText("before");
    assertThat(ws.awaitText()).isEqualTo("before");
    try (ws;
        SseClient sse = new SseClient(port, "/events");
        Socket upload = new Socket()) {
      assertThat(sse.nextLine()).isEqualTo("data: hello");
      String metrics = get(port, "/metrics");
      assertThat(metrics).contains("servicekit_connections_active").contains("route=\"/ws/echo\"");

      upload.connect(new InetSocketAddress("127.0.0.1", port));
      OutputStream out = upload.getOutputStream();
      out.write(
          ("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
                  + "Content-Length: 10\r\nConnection: close\r\n\r\n12345")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      awaitInFlight();

      long sigterm = System.nanoTime();
      process.destroy(); // SIGTERM

      assertThat(sse.nextLine()).isEqualTo("event: shutdown"); // final event from onShutdown
      assertThat(sse.nextLine()).isEqualTo("data: bye");
      TestWsClient.Close close = ws.awaitClose();
      assertThat(close.code()).isEqualTo(1001);
      assertThat(close.reason()).isEqualTo("server shutting down");

      // Still draining (the upload is in flight): new requests and upgrades are refused.
      assertThat(status(port, "/metrics")).isEqualTo(503);
      assertThatThrownBy(
              () ->
                  TestWsClient.connect(java.net.URI.create("ws://localhost:" + port + "/ws/echo")))
          .isInstanceOfSatisfying(
              TestWsClient.HandshakeFailed.class, e -> assertThat(e.status()).isEqualTo(503));
      assertThat(process.isAlive()).isTrue();

      out.write("67890".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String reply = new String(upload.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(reply).startsWith("HTTP/1.1 200").endsWith("got 10");

      assertThat(exited(10)).as("exits within the drain timeout").isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - sigterm)).isLessThan(Duration.ofSeconds(10));
      assertThat(process.exitValue()).as("stderr:\n%s", stderr()).isZero();
      assertThat(stdout()).contains("SHUTDOWN clean");
      assertThat(stderr())
          .contains("Received signal SIGTERM, shutting down...")
          .contains("Server shut down gracefully");
    }
  }

  @Test
  void drainTimeoutCutsWhatIsLeftAndSaysSo() throws Exception {
    int port = start("1");
    try (Socket upload = new Socket()) {
      upload.connect(new InetSocketAddress("127.0.0.1", port));
      upload
          .getOutputStream()
          .write(
              ("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n12345")
                  .getBytes(StandardCharsets.ISO_8859_1));
      upload.getOutputStream().flush();
      awaitInFlight();
      long sigterm = System.nanoTime();
      process.destroy();
      assertThat(exited(10)).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - sigterm)).isLessThan(Duration.ofSeconds(5));
      assertThat(process.exitValue()).isEqualTo(1);
      assertThat(stderr())
          .contains("drain timeout 1s exceeded")
          .contains("force-closed 1 in-flight request");
      // The cut upload ended: Jetty may still write an error status, then closes (EOF).
      upload.setSoTimeout(5000);
      String rest = new String(upload.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(rest)
          .as("an error status at most, never the handler's answer")
          .doesNotContain("got ");
      if (!rest.isEmpty()) {
        assertThat(rest).matches("(?s)HTTP/1.1 5\\d\\d.*");
      }
    }
  }

  /** Waits until the upload's handler runs (it prints a line), so the request is in flight. */
  private void awaitInFlight() {
    await().atMost(Duration.ofSeconds(10)).until(() -> stdout().contains("UPLOAD STARTED"));
  }

  private boolean exited(int seconds) throws InterruptedException {
    return process.waitFor(seconds, TimeUnit.SECONDS);
  }

  private static String get(int port, String path) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static int status(int port, String path) throws IOException {
    String reply = get(port, path);
    return Integer.parseInt(reply.substring(9, 12));
  }

  /** Reads an SSE stream line by line. */
  static final class SseClient implements AutoCloseable {
    private final Socket socket;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    SseClient(int port, String path) throws IOException, InterruptedException {
      socket = new Socket("127.0.0.1", port);
      socket
          .getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = socket.getInputStream();
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  ByteArrayOutputStream line = new ByteArrayOutputStream();
                  for (int c = in.read(); c != -1; c = in.read()) {
                    if (c == '\n') {
                      String l = line.toString(StandardCharsets.UTF_8).replace("\r", "");
                      line.reset();
                      if (!l.matches("[0-9a-fA-F]+")) {
                        lines.add(l);
                      }
                    } else {
                      line.write(c);
                    }
                  }
                } catch (IOException e) {
                  // closed
                }
              });
      // skip the response head
      String first = nextLine();
      if (!first.startsWith("HTTP/1.1 200")) {
        throw new IOException("SSE refused: " + first);
      }
      for (String l = lines.poll(15, TimeUnit.SECONDS); l != null && !l.isEmpty(); ) {
        l = lines.poll(15, TimeUnit.SECONDS); // response headers, up to the blank line
      }
    }

    String nextLine() {
      try {
        String l;
        do {
          l = lines.poll(15, TimeUnit.SECONDS);
          if (l == null) {
            throw new AssertionError("no SSE line within 15 s");
          }
        } while (l.isEmpty());
        return l;
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
