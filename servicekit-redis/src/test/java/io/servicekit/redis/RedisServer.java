package io.servicekit.redis;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A private {@code redis-server} on a free loopback port, without persistence, for one test class.
 * Tests skip when no {@code redis-server} is on the PATH, unless {@code
 * -Dservicekit.requireRedis=true} (CI) makes that a failure.
 */
final class RedisServer implements AutoCloseable {
  private final Path binary;
  private final int port;
  private final Path log;
  private Process process;

  private RedisServer(Path binary, int port) throws IOException {
    this.binary = binary;
    this.port = port;
    this.log = Files.createTempFile("servicekit-redis-" + port, ".log");
  }

  /** Starts one, or skips the calling test class when Redis is not installed and not required. */
  static RedisServer startOrSkip() throws IOException {
    Path binary = find();
    if (binary == null) {
      if (Boolean.getBoolean("servicekit.requireRedis")) {
        throw new IllegalStateException(
            "servicekit.requireRedis=true but no redis-server binary is on the PATH");
      }
      Assumptions.abort("no redis-server on the PATH; Redis tests skipped");
    }
    RedisServer server = new RedisServer(binary, freePort());
    server.start();
    return server;
  }

  /** A loopback port with nothing listening (for "unreachable" tests). */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Path find() {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir, "redis-server");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  int port() {
    return port;
  }

  /** Starts the server (again, on the same port) and waits until it accepts connections. */
  void start() throws IOException {
    process =
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
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .ignoreExceptions()
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new AssertionError("redis-server exited: " + Files.readString(log).strip());
              }
              try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                s.getOutputStream().write("PING\r\n".getBytes());
                byte[] buf = new byte[7];
                return s.getInputStream().readNBytes(buf, 0, 7) == 7
                    && new String(buf).startsWith("+PONG");
              }
            });
  }

  /** Stops the server and waits until it has exited (its port is free again). */
  void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Override
  public void close() throws Exception {
    stop();
    Files.deleteIfExists(log);
  }
}
