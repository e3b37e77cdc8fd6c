package io.servicekit.bench;

import io.servicekit.bench.server.ServerControl;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A server under test in its own process, driven over the {@code ServerControl} line protocol:
 * {@code PORT n} on start, {@code mem} → {@code HEAP n}, {@code publish <text>} (an SSE broadcast,
 * no answer), {@code quit}.
 */
final class ServerProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final int port;

  private ServerProcess(String name, Process process) throws IOException {
    this.name = name;
    this.process = process;
    Thread.ofPlatform()
        .daemon()
        .name(name + "-stdout")
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // process gone
              }
            });
    String first = await("PORT ", 60);
    port = Integer.parseInt(first.substring(5).trim());
  }

  /** Starts {@code command} in {@code dir}, its standard error appended to {@code log}. */
  static ServerProcess start(String name, List<String> command, Path dir, Path log)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Process p = pb.start();
    try {
      return new ServerProcess(name, p);
    } catch (IOException | RuntimeException e) {
      p.destroyForcibly();
      throw e;
    }
  }

  String name() {
    return name;
  }

  long pid() {
    return process.pid();
  }

  InetSocketAddress address() {
    return new InetSocketAddress("127.0.0.1", port);
  }

  int port() {
    return port;
  }

  /** Heap used after a full GC (JVM) or V8's heap used after {@code gc()} (Node), in bytes. */
  long heapAfterGc() throws IOException {
    lines.clear();
    send("mem");
    String line = await("HEAP ", 60);
    return Long.parseLong(line.substring(5).trim());
  }

  /** Asks the server to broadcast {@code text} (one line, no CR/LF) to its SSE streams. */
  void publish(String text) throws IOException {
    send(ServerControl.PUBLISH + text);
  }

  /**
   * Sends {@code command} and returns the rest of the first answer line starting {@code prefix}.
   */
  String ask(String command, String prefix) throws IOException {
    lines.clear();
    send(command);
    return await(prefix, 60).substring(prefix.length()).trim();
  }

  private synchronized void send(String command) throws IOException {
    OutputStream out = process.getOutputStream();
    out.write((command + "\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private String await(String prefix, int seconds) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      long left = deadline - System.nanoTime();
      String line;
      try {
        line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      if (line == null) {
        throw new IOException(
            name
                + ": no '"
                + prefix.trim()
                + "' line within "
                + seconds
                + " s (alive: "
                + process.isAlive()
                + ")");
      }
      if (line.startsWith(prefix)) {
        return line;
      }
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code (0 after {@code quit}); only once the process has ended. */
  int exitValue() {
    return process.exitValue();
  }

  @Override
  public void close() {
    try {
      send("quit");
      process.getOutputStream().close();
    } catch (IOException e) {
      // already gone
    }
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
