package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * An npm project beside the tests (under {@code src/test/}), driven from JUnit: finds {@code node}
 * and {@code npm} on the {@code PATH}, installs the locked dependencies with {@code npm ci} when a
 * fresh clone has none, and runs scripts with a timeout, keeping their output in {@code target/}.
 */
public final class NodeProject {
  private static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);

  private final Path dir;
  private final Path logs;

  private NodeProject(Path dir, Path logs) {
    this.dir = dir;
    this.logs = logs;
  }

  /**
   * The project in {@code src/test/<name>}, with its dependencies installed: {@code npm ci} runs
   * when {@code marker} (a package of the project) is missing from {@code node_modules} or when
   * {@code package-lock.json} changed since the last install (a stamp with its SHA-256 is kept in
   * {@code node_modules}), so a dependency bump takes effect in a working copy too.
   */
  public static NodeProject installed(String name, String marker) throws Exception {
    Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    Path dir = base.resolve("src/test").resolve(name).toAbsolutePath();
    assertThat(dir.resolve("package-lock.json")).as("npm project %s", name).isRegularFile();
    Path logs = Files.createDirectories(base.resolve("target/node-logs").resolve(name));
    NodeProject project = new NodeProject(dir, logs);
    onPath("node"); // fail early and clearly when Node is missing
    Path stamp = dir.resolve("node_modules/.servicekit-lock-sha256");
    String lock = sha256(dir.resolve("package-lock.json"));
    boolean current =
        Files.isRegularFile(dir.resolve("node_modules").resolve(marker).resolve("package.json"))
            && Files.isRegularFile(stamp)
            && Files.readString(stamp).equals(lock);
    if (!current) {
      Result install =
          project.exec(
              List.of(onPath("npm"), "ci", "--no-audit", "--no-fund"), NPM_TIMEOUT, "npm-ci");
      assertThat(install.exit()).as("npm ci in %s failed:%n%s", dir, install.output()).isZero();
      Files.writeString(stamp, lock);
    }
    return project;
  }

  private static String sha256(Path file) throws IOException {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** The project directory. */
  public Path dir() {
    return dir;
  }

  /**
   * Runs {@code node <args>} in the project directory; fails the test if it outlasts {@code
   * timeout}.
   */
  public Result node(Duration timeout, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(onPath("node"));
    command.addAll(List.of(args));
    return exec(
        command, timeout, args.length > 0 ? Path.of(args[0]).getFileName().toString() : "node");
  }

  /**
   * Runs {@code command} (e.g. a binary installed in the project's {@code node_modules}) in the
   * project directory, its output kept as {@code target/node-logs/<project>/<name>.out/.err}; fails
   * the test if it outlasts {@code timeout}.
   */
  public Result run(Duration timeout, String name, List<String> command)
      throws IOException, InterruptedException {
    return exec(command, timeout, name);
  }

  private Result exec(List<String> command, Duration timeout, String name)
      throws IOException, InterruptedException {
    File out = logs.resolve(name + ".out").toFile();
    File err = logs.resolve(name + ".err").toFile();
    Process process =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectOutput(out)
            .redirectError(err)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
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

  private static String read(File file) throws IOException {
    return Files.readString(file.toPath(), StandardCharsets.UTF_8);
  }

  /** What a process did. */
  public record Result(int exit, String stdout, String stderr) {
    /** Both streams, for assertion messages. */
    public String output() {
      return "--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }

    /** The last line of standard output (scripts print their JSON summary there). */
    public String lastLine() {
      String s = stdout.strip();
      return s.substring(s.lastIndexOf('\n') + 1);
    }
  }

  /** The first of {@code names} found as an executable on the {@code PATH}. */
  public static Optional<String> findOnPath(String... names) {
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
    for (String name : names) {
      for (String d : path.split(File.pathSeparator)) {
        if (d.isEmpty()) {
          continue;
        }
        Path candidate = Path.of(d, name);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return Optional.of(candidate.toString());
        }
      }
    }
    return Optional.empty();
  }

  /** The absolute path of {@code tool} on the {@code PATH}; fails the test if it is not there. */
  public static String onPath(String tool) {
    return findOnPath(tool)
        .orElseGet(
            () ->
                fail(
                    "'%s' was not found on the PATH (%s). These tests need Node.js 18+ with npm;"
                        + " install them (CI has them) and run the build again.",
                    tool, System.getenv("PATH")));
  }
}
