package io.servicekit.testkit;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * A private {@code redis-server} process for tests: a free loopback port, no persistence ({@code
 * --save '' --appendonly no}), stopped and restarted on the same port at will. Readiness is read
 * from the server's own log line, never guessed with sleeps.
 *
 * <pre>{@code
 * assumeTrue(RedisServer.binary().isPresent() || RedisServer.required(), "no redis-server");
 * RedisServer redis = RedisServer.start();
 * }</pre>
 *
 * <p>{@link #required()} is {@code -Dservicekit.requireRedis=true} (set by CI): then a missing
 * binary fails the tests instead of skipping them.
 */
public final class RedisServer implements AutoCloseable {
  private static final long READY_TIMEOUT_SECONDS = 20;

  private final Path binary;
  private final int port;

  @SuppressWarnings("JdkObsolete") // appended by the output thread, read by the test thread
  private final StringBuffer output = new StringBuffer();

  private @Nullable Process process;

  private RedisServer(Path binary, int port) {
    this.binary = binary;
    this.port = port;
  }

  /** The {@code redis-server} on the PATH, if any. */
  public static Optional<Path> binary() {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir, "redis-server");
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** Whether Redis tests must run ({@code -Dservicekit.requireRedis=true}) rather than skip. */
  public static boolean required() {
    return Boolean.getBoolean("servicekit.requireRedis");
  }

  /**
   * Starts a server on a free loopback port and waits until it accepts connections.
   *
   * @throws IllegalStateException if there is no {@code redis-server} on the PATH, or it exits or
   *     is not ready within 20 s (with its output)
   */
  public static RedisServer start() throws IOException {
    Path binary =
        binary()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "no redis-server binary on the PATH"
                            + (required() ? " (servicekit.requireRedis=true)" : "")));
    RedisServer server = new RedisServer(binary, freePort());
    server.restart();
    return server;
  }

  /** A loopback port with nothing listening now. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** {@code redis://127.0.0.1:<port>}. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Whether the process runs. */
  public boolean isRunning() {
    return process != null && process.isAlive();
  }

  /**
   * Starts the server (again) on the same port and waits for "Ready to accept connections".
   *
   * @throws IllegalStateException if it is already running, exits, or is not ready in time
   */
  public synchronized void restart() throws IOException {
    if (isRunning()) {
      throw new IllegalStateException("redis-server on port " + port + " is already running");
    }
    Process p =
        new ProcessBuilder(
                binary.toString(),
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no")
            .redirectErrorStream(true)
            .start();
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread.ofPlatform()
        .daemon()
        .name("redis-server-" + port + "-output")
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  output.append(line).append('\n');
                  if (line.contains("Ready to accept connections")) {
                    ready.complete(null);
                  }
                }
              } catch (IOException e) {
                // process gone
              }
              ready.completeExceptionally(
                  new IllegalStateException("redis-server exited before it was ready:\n" + output));
            });
    process = p;
    try {
      ready.get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop();
      throw new IllegalStateException("interrupted while starting redis-server", e);
    } catch (ExecutionException e) {
      stop();
      throw (IllegalStateException) e.getCause();
    } catch (TimeoutException e) {
      stop();
      throw new IllegalStateException(
          "redis-server not ready within " + READY_TIMEOUT_SECONDS + " s:\n" + output, e);
    }
  }

  /** Stops the server (SIGTERM, then SIGKILL) and waits until it has exited. */
  public synchronized void stop() {
    Process p = process;
    if (p == null) {
      return;
    }
    if (p.isAlive()) {
      try {
        signal("CONT"); // a paused server cannot act on SIGTERM
      } catch (RuntimeException e) {
        // exited meanwhile
      }
    }
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
  }

  /**
   * Freezes the server with SIGSTOP: its connections stay open and it answers nothing, as a hung or
   * overloaded Redis would. {@link #resume()} lets it go on with what it had received.
   */
  public synchronized void pause() {
    signal("STOP");
  }

  /** Lets a {@link #pause() paused} server go on (SIGCONT). */
  public synchronized void resume() {
    signal("CONT");
  }

  /**
   * Kills the server at once (SIGKILL), as a crash would; {@link #restart()} brings it back empty.
   */
  public synchronized void kill() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Sends {@code FLUSHALL}: every key is gone, as after an operator's flush. */
  public void flushAll() throws IOException {
    try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write("*1\r\n$8\r\nFLUSHALL\r\n".getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      byte[] reply = new byte[5];
      int n = s.getInputStream().readNBytes(reply, 0, 5);
      String answer = new String(reply, 0, n, StandardCharsets.US_ASCII);
      if (!answer.startsWith("+OK")) {
        throw new IOException("FLUSHALL answered " + answer);
      }
    }
  }

  private void signal(String name) {
    Process p = process;
    if (p == null || !p.isAlive()) {
      throw new IllegalStateException("redis-server on port " + port + " is not running");
    }
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + name + " " + p.pid() + " failed");
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling redis-server", e);
    }
  }

  /** Everything the server printed so far. */
  public String output() {
    return output.toString();
  }

  @Override
  public void close() {
    stop();
  }

  @Override
  public String toString() {
    return "RedisServer[" + uri() + (isRunning() ? ", running" : ", stopped") + "]";
  }
}
