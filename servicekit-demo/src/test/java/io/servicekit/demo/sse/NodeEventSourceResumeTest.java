package io.servicekit.demo.sse;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.Scheduler;
import io.servicekit.jetty.ServiceKitServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An independent client: the npm {@code eventsource} package (4.1.1, Node 20) reads the demo feed,
 * which ends its stream every 7 ticks; the client reconnects with {@code Last-Event-ID} while the
 * feed keeps ticking, and must see contiguous ids — nothing lost, nothing twice.
 *
 * <p>Needs {@code node} and {@code npm} on the PATH; installs the pinned package with {@code npm
 * ci} into {@code src/test/node-sse/node_modules} when it is missing.
 */
class NodeEventSourceResumeTest {
  private static final Path PROJECT = Path.of("src/test/node-sse").toAbsolutePath();
  private static final Duration PROCESS_TIMEOUT = Duration.ofMinutes(3);

  @BeforeAll
  static void installEventSource() throws Exception {
    Result node = run(List.of("node", "--version"), PROJECT);
    assertThat(node.exit())
        .as("this test needs Node.js 20+ on the PATH (node --version said: %s)", node.output())
        .isZero();
    if (!Files.isDirectory(PROJECT.resolve("node_modules/eventsource"))) {
      Result ci = run(List.of("npm", "ci", "--no-audit", "--no-fund"), PROJECT);
      assertThat(ci.exit()).as("npm ci in %s failed:%n%s", PROJECT, ci.output()).isZero();
    }
  }

  record Result(int exit, String output) {}

  private static Result run(List<String> command, Path dir) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      return new Result(-1, command.get(0) + " could not be started: " + e.getMessage());
    }
    p.getOutputStream().close();
    // Read on another thread so that a chatty process cannot block on a full pipe.
    var output = new java.util.concurrent.CompletableFuture<String>();
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                output.complete(
                    new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
              } catch (IOException e) {
                output.complete("(output unreadable: " + e + ")");
              }
            });
    if (!p.waitFor(PROCESS_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-2, String.join(" ", command) + " timed out after " + PROCESS_TIMEOUT);
    }
    return new Result(p.exitValue(), output.get(10, TimeUnit.SECONDS));
  }

  @Test
  void eventsourcePackageResumesWithoutLossOrDuplicates() throws Exception {
    // A tick every 20 ms and a 100 ms retry: about 5 ticks happen while the client is away.
    EventsDemo demo =
        new EventsDemo(Duration.ofMillis(20), Duration.ofMillis(100), Scheduler.system());
    try (ServiceKitServer server =
        demo.routes(ServiceKitServer.builder().port(0)).build().start()) {
      String url = server.uri().resolve("/events?closeAfter=7").toString();
      Result r = run(List.of("node", "resume.mjs", url, "60", "5"), PROJECT);
      System.out.println("node resume.mjs: " + r.output().strip());
      assertThat(r.exit()).as("node resume.mjs said:%n%s", r.output()).isZero();
      assertThat(r.output()).contains("\"ok\":true").contains("\"problems\":[]");
    }
  }
}
