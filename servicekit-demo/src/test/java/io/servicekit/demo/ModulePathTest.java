package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The module descriptors really work: a small application module ({@code
 * src/test/resources/modulepath}) is compiled and run on the module path, in a JVM of its own, with
 * only the ServiceKit core and Jetty modules and their dependencies. It serves a WebSocket echo and
 * an SSE stream, uses both with the JDK client, and finds an internal package closed to it. This is
 * the check that caught Jetty's public method-handle lookup failing on a qualified export.
 */
class ModulePathTest {
  /** What core and Jetty need at run time, picked from this test's class path by file name. */
  private static final Pattern NEEDED =
      Pattern.compile(
          ".*(servicekit-(core|jetty)[/\\\\]target[/\\\\]classes"
              + "|/(jetty-[a-z0-9-]+|websocket-[a-z-]+|http2-[a-z-]+)-12\\.[^/]*\\.jar"
              + "|/jackson-(databind|core|annotations)-[^/]*\\.jar"
              + "|/slf4j-api-[^/]*\\.jar|/jspecify-[^/]*\\.jar"
              + "|/micrometer-(core|commons|observation)-[^/]*\\.jar)$");

  @Test
  void anApplicationModuleServesWebSocketAndSseAndCannotReachInternals(@TempDir Path dir)
      throws Exception {
    List<String> modulePath =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(e -> NEEDED.matcher(e.replace('\\', '/')).matches())
            .filter(e -> !Path.of(e).getFileName().toString().matches(".*(-tests|client).*\\.jar"))
            .toList();
    assertThat(modulePath)
        .as("core and jetty classes on this test's class path")
        .anyMatch(e -> e.contains("servicekit-core"))
        .anyMatch(e -> e.contains("servicekit-jetty"));

    Path src = Path.of("src", "test", "resources", "modulepath", "demo.mp");
    Path out = Files.createDirectories(dir.resolve("demo.mp"));
    List<String> sources;
    try (Stream<Path> files = Files.walk(src)) {
      sources = files.filter(p -> p.toString().endsWith(".java")).map(Path::toString).toList();
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    List<String> args = new ArrayList<>(List.of("-d", out.toString()));
    args.addAll(List.of("--module-path", String.join(File.pathSeparator, modulePath)));
    args.addAll(sources);
    assertThat(javac.run(null, null, null, args.toArray(String[]::new)))
        .as("the application module compiles against the exported API")
        .isZero();

    String java = ProcessHandle.current().info().command().orElseThrow();
    Path log = dir.resolve("run.log");
    Process p =
        new ProcessBuilder(
                java,
                "--module-path",
                String.join(File.pathSeparator, modulePath) + File.pathSeparator + out,
                "-m",
                "demo.mp/demo.Main")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the module-path run ends").isTrue();
    String output = read(log);
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output)
        .contains("ECHO {\"hi\":1}")
        .contains("SSE data: \"hello\"")
        .contains("INTERNAL sealed")
        .contains("DRIVER sealed");
  }

  private static String read(Path log) throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }
}
