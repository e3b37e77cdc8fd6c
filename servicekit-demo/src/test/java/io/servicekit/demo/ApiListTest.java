package io.servicekit.demo;

import io.servicekit.testkit.ApiSurface;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The public API of every library module, checked in as {@code api/<module>.txt} at the repository
 * root (one line per public type and per public or protected member): a change to the API fails
 * here until the list is regenerated ({@code -Dservicekit.api.update=true}) and committed, so every
 * API change shows in review. It runs in the demo module because the demo's tests see every library
 * module on their class path.
 */
class ApiListTest {
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "servicekit-core",
        "servicekit-testkit",
        "servicekit-jetty",
        "servicekit-client",
        "servicekit-grpc",
        "servicekit-mcp",
        "servicekit-redis"
      })
  void publicApiMatchesTheCheckedInList(String module) {
    ApiSurface.assertMatches(
        Path.of("..", module, "target", "classes"),
        Path.of("..", "api", module + ".txt"),
        ApiListTest.class.getClassLoader());
  }
}
