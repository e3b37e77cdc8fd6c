package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.servicekit.jetty.ServiceKitServer;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs {@code src/test/node/ws-interop.mjs} — the Node {@code ws} client — against the demo server:
 * echo (text, binary, 1 MiB, protocol ping), chat between two clients, the JSON heartbeat answered
 * by the client, and the close handshake. {@code node} and {@code npm} must be on the {@code PATH}:
 * without them the test fails (it does not skip), because CI has them. The npm dependencies are
 * installed with {@code npm ci} from the committed lock file when {@code node_modules} is missing.
 */
class NodeWsInteropTest {
  private static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(60);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir static Path logs;

  /** Installs the locked npm dependencies if they are missing (a fresh clone). */
  @BeforeAll
  static void installDependencies() throws Exception {
    Path project = nodeProject();
    onPath("node"); // fail early and clearly when Node is missing
    if (!Files.isRegularFile(project.resolve("node_modules/ws/package.json"))) {
      Result install =
          run(List.of(onPath("npm"), "ci", "--no-audit", "--no-fund"), project, NPM_TIMEOUT, "npm");
      assertThat(install.exit()).as("npm ci failed:%n%s", install.output()).isZero();
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void nodeWsClientInteroperatesWithTheDemoServer() throws Exception {
    Path project = nodeProject();
    String node = onPath("node");

    // A short heartbeat, so that the script sees (and answers) server JSON pings.
    try (ServiceKitServer server = DemoServer.create(0, Duration.ofMillis(200)).start()) {
      Result result =
          run(
              List.of(node, "ws-interop.mjs", server.uri().toString(), "--expect-heartbeat"),
              project,
              SCRIPT_TIMEOUT,
              "node");
      String stdout = result.stdout().strip();
      assertThat(result.exit()).as("ws-interop.mjs failed:%n%s", result.output()).isZero();
      String lastLine = stdout.substring(stdout.lastIndexOf('\n') + 1);
      Map<String, Object> summary = JSON.readValue(lastLine, Map.class);
      assertThat(summary).containsEntry("ok", true);
      assertThat(summary.get("ws")).asString().startsWith("8.");
      List<Map<String, Object>> checks = (List<Map<String, Object>>) summary.get("checks");
      assertThat(checks)
          .extracting(c -> c.get("name"))
          .containsExactly(
              "echo: connect",
              "echo: text round trip",
              "echo: binary round trip",
              "echo: 1 MiB binary round trip",
              "echo: protocol ping -> pong",
              "echo: close 1000 -> 1000",
              "chat: two clients welcomed",
              "chat: message delivered to the room",
              "chat: client ping -> pong",
              "chat: server JSON ping answered and absorbed",
              "chat: close 1000 -> 1000, user_left to the room");
      assertThat(checks).allSatisfy(c -> assertThat(c).as(c.toString()).containsEntry("ok", true));
    }
  }

  @Test
  void scriptFailsWhenTheServerIsAbsent() throws Exception {
    Path project = nodeProject();
    // Port 1 on loopback: nothing listens there, so every check must fail and the exit be 1.
    Result result =
        run(
            List.of(onPath("node"), "ws-interop.mjs", "http://127.0.0.1:1"),
            project,
            SCRIPT_TIMEOUT,
            "node-absent");
    assertThat(result.exit()).as(result.output()).isEqualTo(1);
    assertThat(result.stdout()).as(result.output()).contains("\"ok\":false");
  }

  private record Result(int exit, String stdout, String stderr) {
    String output() {
      return "--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }

  private static Result run(List<String> command, Path dir, Duration timeout, String name)
      throws IOException, InterruptedException {
    File out = logs.resolve(name + ".out").toFile();
    File err = logs.resolve(name + ".err").toFile();
    Process process =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectOutput(out)
            .redirectError(err)
            .redirectInput(ProcessBuilder.Redirect.from(nullFile()))
            .start();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        fail(
            "%s did not finish within %s:%n--- stdout%n%s%n--- stderr%n%s",
            String.join(" ", command), timeout, read(out), read(err));
      }
      return new Result(process.exitValue(), read(out), read(err));
    } finally {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }

  private static File nullFile() {
    return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
  }

  private static String read(File file) throws IOException {
    return Files.readString(file.toPath(), StandardCharsets.UTF_8);
  }

  /** The npm project next to the tests (Maven runs tests in the module directory). */
  private static Path nodeProject() {
    Path project =
        Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "src/test/node");
    assertThat(project.resolve("ws-interop.mjs")).as("interop script").isRegularFile();
    return project.toAbsolutePath();
  }

  /** The absolute path of {@code tool} on the {@code PATH}; fails the test if it is not there. */
  private static String onPath(String tool) {
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
    List<String> names = new ArrayList<>(List.of(tool));
    if (System.getProperty("os.name").startsWith("Windows")) {
      names.addAll(List.of(tool + ".exe", tool + ".cmd"));
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      for (String name : names) {
        Path candidate = Path.of(dir, name);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return candidate.toString();
        }
      }
    }
    return fail(
        "'%s' was not found on the PATH (%s). The Node interop test needs Node.js 18+ with npm;"
            + " install them (CI has them) and run the build again.",
        tool, path);
  }
}
