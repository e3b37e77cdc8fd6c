package io.servicekit.middleware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Upstream origin_test.go / origin_request_test.go parity where kept, and the W-78 fixes. */
class OriginPatternsTest {
  static List<Arguments> upstreamTable() { // TestOriginChecker_Check, table of 17
    return List.of(
        Arguments.of(List.of("*"), "https://anything.com", true), // nil allows all → any()
        Arguments.of(List.of("example.com"), "https://example.com", true), // exact host
        Arguments.of(List.of("https://example.com"), "https://example.com", true), // with scheme
        Arguments.of(List.of("example.com"), "https://evil.com", false), // rejects non-match
        Arguments.of(List.of("*.example.com"), "https://app.example.com", true), // wildcard sub
        Arguments.of(List.of("*.example.com"), "https://example.com", true), // wildcard apex
        Arguments.of(List.of("*.example.com"), "https://example.org", false), // wildcard other
        Arguments.of(List.of("localhost"), "http://127.0.0.1:3000", true),
        Arguments.of(List.of("localhost"), "http://localhost:8080", true),
        Arguments.of(List.of("localhost"), "https://evil.com", false),
        Arguments.of(List.of("a.com", "b.com"), "https://b.com", true), // multiple
        Arguments.of(List.of("example.com"), "", false), // empty origin rejected
        Arguments.of(List.of("example.com"), "https://example.com:443", true), // default port
        Arguments.of(List.of("*"), "", true), // * allows empty origin
        Arguments.of(List.of("a.com", "*"), "https://z.com", true)); // * among others
  }

  @ParameterizedTest
  @MethodSource("upstreamTable")
  void upstreamCheckTable(List<String> patterns, String origin, boolean allowed) {
    OriginPatterns p = OriginPatterns.of(patterns);
    assertThat(p.matches(origin)).isEqualTo(allowed);
    assertRegexAgrees(p, origin);
  }

  @Test
  void emptyListIsAnErrorInsteadOfAllowAll() {
    assertThatThrownBy(() -> OriginPatterns.of(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("OriginPatterns.any()");
    assertThatThrownBy(() -> OriginPatterns.of(" ", "")).hasMessageContaining("no origin patterns");
  }

  static List<Arguments> strictTable() {
    return List.of(
        // W-78: scheme and port count
        Arguments.of("https://example.com", "http://example.com", false),
        Arguments.of("https://example.com", "https://example.com:1234", false),
        Arguments.of("http://example.com:8080", "http://example.com:8080", true),
        Arguments.of("example.com", "http://example.com", false),
        // W-78: case-insensitive host and scheme
        Arguments.of("example.com", "HTTPS://Example.COM", true),
        // W-78: scheme://*.host wildcards work
        Arguments.of("https://*.example.com", "https://a.b.example.com", true),
        Arguments.of("https://*.example.com", "http://a.example.com", false),
        Arguments.of("http://*.example.com:8080", "http://a.example.com:8080", true),
        Arguments.of("*.excaliframe.com", "https://notexcaliframe.com", false),
        Arguments.of("*.excaliframe.com", "https://staging.excaliframe.com", true),
        Arguments.of("localhost", "http://[::1]:9000", true),
        Arguments.of("localhost", "ws://localhost", false),
        Arguments.of("example.com", "null", false),
        Arguments.of("example.com", "https://example.com.evil.com", false));
  }

  @ParameterizedTest
  @MethodSource("strictTable")
  void matchesSchemeHostAndPortW78(String pattern, String origin, boolean allowed) {
    OriginPatterns p = OriginPatterns.of(pattern);
    assertThat(p.matches(origin)).isEqualTo(allowed);
    assertRegexAgrees(p, origin);
  }

  @Test
  void badPatternsAreNamed() {
    assertThatThrownBy(() -> OriginPatterns.of("https://exa*mple.com"))
        .hasMessageContaining("'https://exa*mple.com'");
    assertThatThrownBy(() -> OriginPatterns.of("https://example.com/path"))
        .hasMessageContaining("origin pattern");
  }

  @Test
  void checkRequestDnsRebinding() { // origin_request_test.go
    OriginPatterns p = OriginPatterns.of("example.com");
    assertThat(p.checkRequest("https://example.com", "whatever")).isTrue(); // OriginPresent
    assertThat(p.checkRequest("https://evil.com", "localhost")).isFalse();
    assertThat(p.checkRequest(null, "localhost:8080")).isTrue(); // NoOrigin_LocalhostHost
    assertThat(p.checkRequest(null, "127.0.0.1:3000")).isTrue();
    assertThat(p.checkRequest(null, "[::1]:9090")).isTrue();
    assertThat(p.checkRequest(null, "::1")).isTrue(); // bare ::1, mis-parsed upstream (W-78)
    assertThat(p.checkRequest(null, "evil.com:8080")).isFalse(); // NoOrigin_RemoteHost
    assertThat(p.checkRequest(null, "")).isTrue(); // NoOriginNoHost
    assertThat(OriginPatterns.any().checkRequest(null, "evil.com")).isTrue(); // nil checker
  }

  @Test
  void localhostChecker() { // TestLocalhostOriginChecker(+_CheckRequest)
    OriginPatterns p = OriginPatterns.localhost();
    assertThat(p.matches("http://localhost:3000")).isTrue();
    assertThat(p.matches("http://127.0.0.1:8080")).isTrue();
    assertThat(p.matches("http://[::1]:5173")).isTrue();
    assertThat(p.matches("https://evil.com")).isFalse();
    assertThat(p.checkRequest(null, "localhost:8080")).isTrue();
    assertThat(p.checkRequest(null, "evil.com")).isFalse();
  }

  @Test
  void exampleNewOriginChecker() { // example_test.go ExampleNewOriginChecker: true, true, true,
    // false
    OriginPatterns p = OriginPatterns.of("*.example.com", "localhost");
    assertThat(p.matches("https://app.example.com")).isTrue();
    assertThat(p.matches("https://example.com")).isTrue();
    assertThat(p.matches("http://localhost:3000")).isTrue();
    assertThat(p.matches("https://evil.com")).isFalse();
  }

  private static void assertRegexAgrees(OriginPatterns p, String origin) {
    if (origin.isEmpty() || p.allowsAny()) {
      return;
    }
    boolean regex =
        p.toRegexes().stream().anyMatch(r -> Pattern.compile(r).matcher(origin).matches());
    assertThat(regex).as("regex form of %s for %s", p, origin).isEqualTo(p.matches(origin));
  }
}
