package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps tier 1 deterministic: no test in this package may open a socket, wait with Awaitility,
 * latches or sleeps, or start a server or a network client. Such a test belongs to tier 2 (the
 * socket tests in servicekit-jetty and the other modules).
 */
class Tier1GuardTest {
  /** This package's sources, relative to the module directory (surefire's working directory). */
  static final Path TIER1 = Path.of("src", "test", "java", "io", "servicekit", "tier1");

  /** What a tier-1 source must not contain, and why. */
  static final Map<String, String> FORBIDDEN =
      Map.ofEntries(
          Map.entry("org.awaitility", "Awaitility (tier 1 runs tasks with VirtualScheduler)"),
          Map.entry("await()", "Awaitility or a latch wait"),
          Map.entry("CountDownLatch", "a latch (tier 1 has nothing to wait for)"),
          Map.entry("Thread.sleep", "a sleep"),
          Map.entry("java.net.", "a socket or URI-level network API"),
          Map.entry("java.nio.channels", "a socket channel"),
          Map.entry("org.eclipse.jetty", "a server"),
          Map.entry("ServiceKitServer", "a server"),
          Map.entry("TestWsClient", "a network client"),
          Map.entry("RawWsClient", "a network client"),
          Map.entry("TestSseClient", "a network client"),
          Map.entry("TestStreamableClient", "a network client"),
          Map.entry("RedisServer", "a process"),
          Map.entry("FakeScheduler", "real threads (use VirtualScheduler)"));

  /** The rules broken by {@code source}, as "file: token (why)" lines. */
  static List<String> violations(String file, String source) {
    List<String> found = new ArrayList<>();
    FORBIDDEN.forEach(
        (token, why) -> {
          if (source.contains(token)) {
            found.add(file + ": uses " + token + " (" + why + ")");
          }
        });
    return found;
  }

  @Test
  void tier1TestsUseNoSocketsNoAwaitilityNoLatchesNoSleeps() throws IOException {
    List<Path> sources;
    try (Stream<Path> files = Files.walk(TIER1)) {
      sources =
          files
              .filter(p -> p.toString().endsWith(".java"))
              .filter(p -> !p.getFileName().toString().equals("Tier1GuardTest.java"))
              .sorted()
              .toList();
    }
    // Not vacuous: the driver tests are here.
    assertThat(sources.stream().map(p -> p.getFileName().toString()))
        .contains("WsConnectionT1Test.java");
    List<String> broken = new ArrayList<>();
    for (Path p : sources) {
      broken.addAll(
          violations(p.getFileName().toString(), Files.readString(p, StandardCharsets.UTF_8)));
    }
    assertThat(broken).as("tier-1 tests must be deterministic; move these to tier 2").isEmpty();
  }

  @Test
  void theGuardCatchesEachKindOfViolation() {
    assertThat(violations("A.java", "import static org.awaitility.Awaitility.await;"))
        .anySatisfy(v -> assertThat(v).contains("org.awaitility"));
    assertThat(violations("B.java", "new java.net.Socket(\"localhost\", 80)"))
        .anySatisfy(v -> assertThat(v).contains("java.net."));
    assertThat(violations("C.java", "latch = new CountDownLatch(1);")).hasSize(1);
    assertThat(violations("D.java", "Thread.sleep(10);")).hasSize(1);
    assertThat(violations("E.java", "time.runUntilIdle();")).isEmpty();
  }
}
