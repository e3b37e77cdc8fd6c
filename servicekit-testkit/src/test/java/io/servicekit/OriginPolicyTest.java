package io.servicekit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.testkit.FakeRequest;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one origin matcher (RFC 6454 serialized origins). Every case is also run through the regex
 * form that {@code Cors} hands to Jetty, which must give the same answer.
 */
class OriginPolicyTest {
  /** Requests with a Host and maybe an Origin (the test kit's FakeRequest). */
  private static final class StubRequest {
    static Request of(String host) {
      return FakeRequest.builder().host(host).build();
    }

    static Request withOrigin(String host, String origin) {
      return FakeRequest.builder().host(host).header("Origin", origin).build();
    }
  }

  /**
   * The ten sample origins of the OriginPolicy/OriginPatterns comparison (architecture-target row
   * 13), with the answer decided when the two were merged. Before: P = old OriginPolicy, O = old
   * OriginPatterns.
   */
  static List<Arguments> row13() {
    return List.of(
        Arguments.of("https://a.com", "https://a.com", true), // P true, O true
        Arguments.of("https://a.com", "https://a.com:443", true), // P false, O true
        Arguments.of("https://a.com:443", "https://a.com", true), // P false, O true
        Arguments.of("https://*.example.com", "https://x.example.com:443", true), // P false
        Arguments.of("https://a.com", "https://a.com/", false), // P false, O true
        Arguments.of("https://a.com", "http://a.com", false), // P false, O false
        Arguments.of("https://a.com", "https://a.com.evil.com", false), // P false, O false
        Arguments.of("localhost", "http://localhost:3000", true)); // P threw, O true
    // and example.com, *.example.com: P threw, O meant https; now refused (schemeLessIsRefused)
  }

  @ParameterizedTest(name = "{0} vs {1} -> {2}")
  @MethodSource("row13")
  void row13SamplesHaveTheDecidedAnswer(String pattern, String origin, boolean allowed) {
    assertMatch(OriginPolicy.of(pattern), origin, allowed);
    assertThat(OriginPolicy.sameOriginOr(pattern).allows(origin, "unrelated.host"))
        .isEqualTo(allowed);
  }

  @Test
  void schemeLessPatternsAreRefusedNamingThePatternAndTheRule() {
    for (String p : List.of("example.com", "*.example.com", "example.com:8080")) {
      assertThatThrownBy(() -> OriginPolicy.of(p))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + p + "'")
          .hasMessageContaining("no scheme")
          .hasMessageContaining("https://" + p);
      assertThatThrownBy(() -> OriginPolicy.sameOriginOr(p))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  static List<Arguments> rfc6454() {
    return List.of(
        // scheme and host are case-insensitive; port is not optional when not the default
        Arguments.of("https://app.example.com", "HTTPS://App.Example.COM", true),
        Arguments.of("HTTPS://APP.example.com", "https://app.example.com", true),
        Arguments.of("https://example.com", "https://example.com:1234", false),
        Arguments.of("http://example.com:8080", "http://example.com:8080", true),
        Arguments.of("http://example.com:8080", "http://example.com", false),
        Arguments.of("http://example.com", "http://example.com:80", true),
        Arguments.of("http://example.com", "http://example.com:443", false),
        Arguments.of("wss://example.com", "wss://example.com:443", true),
        Arguments.of("ws://example.com:80", "ws://example.com", true),
        Arguments.of("https://example.com", "wss://example.com", false),
        // no path, query, fragment, user info; not a list
        Arguments.of("https://example.com", "https://example.com/app", false),
        Arguments.of("https://example.com", "https://example.com?x=1", false),
        Arguments.of("https://example.com", "https://example.com#top", false),
        Arguments.of("https://example.com", "https://user@example.com", false),
        Arguments.of("https://example.com", "https://example.com https://example.com", false),
        Arguments.of("https://example.com", "https://example.com:", false),
        Arguments.of("https://example.com", "https://example.com:99999", false),
        Arguments.of("https://example.com", "https://example.com.", false),
        Arguments.of("https://example.com", "example.com", false),
        Arguments.of("https://example.com", "//example.com", false),
        Arguments.of("https://example.com", "", false),
        Arguments.of("https://example.com", "   ", false),
        Arguments.of("https://example.com", " https://example.com ", true), // header OWS
        Arguments.of("https://example.com", "https://exa%6dple.com", false),
        Arguments.of("https://example.com", "https://exam\u0000ple.com", false),
        // IPv6 in brackets, compared as written
        Arguments.of("http://[::1]:8080", "http://[::1]:8080", true),
        Arguments.of("http://[::1]:8080", "http://[0:0:0:0:0:0:0:1]:8080", false),
        Arguments.of("http://[::1]", "http://::1", false),
        Arguments.of("http://[2001:DB8::1]", "http://[2001:db8::1]:80", true),
        // punycode hosts as given; a Unicode host is not a serialized origin
        Arguments.of("https://xn--bcher-kva.example", "https://xn--bcher-kva.example", true),
        Arguments.of("https://xn--bcher-kva.example", "https://bücher.example", false),
        // wildcards: one or more labels, not the apex, not a lookalike
        Arguments.of("https://*.example.com", "https://a.b.example.com", true),
        Arguments.of("https://*.example.com", "https://example.com", false),
        Arguments.of("https://*.example.com", "https://notexample.com", false),
        Arguments.of("https://*.example.com", "https://a.example.com.evil.com", false),
        Arguments.of("https://*.example.com", "http://a.example.com", false),
        Arguments.of("https://*.example.com", "https://.example.com", false),
        Arguments.of("http://*.example.com:8080", "http://a.example.com:8080", true),
        Arguments.of("http://*.example.com:8080", "http://a.example.com", false),
        // the opaque origin
        Arguments.of("https://example.com", "null", false),
        Arguments.of("*", "null", false),
        Arguments.of("null", "null", true),
        Arguments.of("null", "NULL", false),
        Arguments.of("null", "https://example.com", false),
        // * is every well-formed origin, never a malformed one
        Arguments.of("*", "https://anything.example", true),
        Arguments.of("*", "chrome-extension://abcdef", true),
        Arguments.of("*", "https://a.com/", false),
        Arguments.of("*", "", false),
        // localhost: loopback names, http(s), any port
        Arguments.of("localhost", "http://127.0.0.1:3000", true),
        Arguments.of("localhost", "https://[::1]:9000", true),
        Arguments.of("localhost", "http://LOCALHOST", true),
        Arguments.of("localhost", "ws://localhost", false),
        Arguments.of("localhost", "http://localhost.evil.com", false),
        Arguments.of("localhost", "http://localhost:3000/", false),
        // other schemes: exact, no default port
        Arguments.of("chrome-extension://abcdef", "chrome-extension://abcdef", true),
        Arguments.of("chrome-extension://abcdef", "chrome-extension://abcdef:80", false));
  }

  @ParameterizedTest(name = "{0} vs {1} -> {2}")
  @MethodSource("rfc6454")
  void matchesSerializedOriginsPerRfc6454(String pattern, String origin, boolean allowed) {
    assertMatch(OriginPolicy.of(pattern), origin, allowed);
  }

  @Test
  void veryLongValuesAreRefusedWithoutParsing() {
    String host = "a.".repeat(300) + "example.com";
    OriginPolicy any = OriginPolicy.allowAll();
    assertMatch(any, "https://" + host, false);
    assertMatch(OriginPolicy.of("https://*.example.com"), "https://" + host, false);
    String justFits = "https://" + "a".repeat(OriginPolicy.MAX_ORIGIN_LENGTH - 12) + ".com";
    assertThat(justFits).hasSize(OriginPolicy.MAX_ORIGIN_LENGTH);
    assertThat(any.matches(justFits)).isFalse(); // a 63-character label limit still applies
    String longLabels = "https://" + ("b".repeat(60) + ".").repeat(8) + "com";
    assertThat(longLabels.length()).isLessThanOrEqualTo(OriginPolicy.MAX_ORIGIN_LENGTH);
    assertMatch(any, longLabels, true);
    assertThat(any.matches("https://" + "x".repeat(1_000_000) + ".com")).isFalse();
  }

  static List<String> badPatterns() {
    return List.of(
        "https://example.com/",
        "https://example.com/path",
        "https://exa*mple.com",
        "https://*example.com",
        "https://a.*.example.com",
        "https://*.com",
        "https://*.127.0.0.1",
        "https://*.[::1]",
        "https://example.com:99999",
        "https://example.com:",
        "https://user@example.com",
        "https://",
        "://example.com",
        "1http://example.com",
        "https://example.com?x",
        "https://bücher.example",
        "NULL ORIGIN");
  }

  @ParameterizedTest
  @MethodSource("badPatterns")
  void badPatternsAreRefusedNamingThePatternAndTheRule(String pattern) {
    assertThatThrownBy(() -> OriginPolicy.of(pattern))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("origin pattern '" + pattern + "' refused: ")
        .hasMessageContaining("scheme://host[:port]");
  }

  @Test
  void emptyListIsAnErrorInsteadOfAllowAll() {
    assertThatThrownBy(() -> OriginPolicy.of(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("OriginPolicy.allowAll()");
    assertThatThrownBy(() -> OriginPolicy.of(" ", "")).hasMessageContaining("no origin patterns");
    assertThat(OriginPolicy.sameOriginOr().patterns()).isEmpty();
    assertThat(OriginPolicy.of(List.of("https://a.com", " ", " localhost ")).patterns())
        .containsExactly("https://a.com", "localhost");
  }

  @Test
  void requestsWithoutOriginPass() {
    assertThat(OriginPolicy.sameOrigin().check(StubRequest.of("example.com"))).isTrue();
    assertThat(OriginPolicy.localhost().check(StubRequest.of("example.com"))).isTrue();
    assertThat(OriginPolicy.sameOrigin().check(StubRequest.withOrigin("example.com", "")))
        .as("an empty Origin header is malformed, not absent")
        .isFalse();
  }

  @Test
  void sameOriginComparesHostAndPortWithDefaultPorts() {
    assertThat(OriginPolicy.isSameOrigin("http://localhost:8080", "localhost:8080")).isTrue();
    assertThat(OriginPolicy.isSameOrigin("https://Example.com", "example.com:443")).isTrue();
    assertThat(OriginPolicy.isSameOrigin("https://example.com:443", "example.com")).isTrue();
    assertThat(OriginPolicy.isSameOrigin("http://example.com:80", "example.com")).isTrue();
    assertThat(OriginPolicy.isSameOrigin("http://example.com:8080", "example.com")).isFalse();
    assertThat(OriginPolicy.isSameOrigin("http://localhost:8081", "localhost:8080")).isFalse();
    assertThat(OriginPolicy.isSameOrigin("http://evil.com", "example.com")).isFalse();
    assertThat(OriginPolicy.isSameOrigin("null", "example.com")).isFalse();
    assertThat(OriginPolicy.isSameOrigin("http://[::1]:8080", "[::1]:8080")).isTrue();
    assertThat(OriginPolicy.isSameOrigin("http://example.com", "")).isFalse();
    assertThat(OriginPolicy.isSameOrigin("http://example.com", "example.com:x")).isFalse();
    assertThat(OriginPolicy.isSameOrigin("http://example.com/", "example.com"))
        .as("a trailing / is not a serialized origin")
        .isFalse();
  }

  @Test
  void sameOriginOrAddsTheListToTheHostRule() {
    OriginPolicy p = OriginPolicy.sameOriginOr("https://app.example.org", "https://*.example.com");
    assertThat(p.check(StubRequest.withOrigin("h", "https://app.example.org"))).isTrue();
    assertThat(p.check(StubRequest.withOrigin("h", "https://a.b.example.com"))).isTrue();
    assertThat(p.check(StubRequest.withOrigin("h", "https://example.com"))).isFalse(); // apex
    assertThat(p.check(StubRequest.withOrigin("h", "http://a.example.com"))).isFalse();
    assertThat(p.check(StubRequest.withOrigin("h", "https://evilexample.com"))).isFalse();
    assertThat(p.check(StubRequest.withOrigin("h", "https://app.example.org.evil.net"))).isFalse();
    assertThat(p.check(StubRequest.withOrigin("h:80", "http://h"))).isTrue();
    assertThat(p.matches("http://h")).as("matches() has no Host to compare with").isFalse();
    assertThat(p.allowsSameOrigin()).isTrue();
    assertThat(OriginPolicy.of("https://a.com").allows("http://h", "h")).isFalse();
  }

  @Test
  void starAllowsEveryWellFormedOriginAndNullMustBeListed() {
    assertThat(OriginPolicy.sameOriginOr("*").check(StubRequest.withOrigin("h", "http://x")))
        .isTrue();
    assertThat(OriginPolicy.allowAll().allowsAny()).isTrue();
    assertThat(OriginPolicy.allowAll().matches("null")).isFalse();
    OriginPolicy both = OriginPolicy.of("*", "null");
    assertMatch(both, "null", true);
    assertMatch(both, "https://z.com", true);
    assertMatch(OriginPolicy.of("https://a.com", "*"), "https://z.com", true);
  }

  @Test
  void checkRequestDnsRebinding() {
    OriginPolicy p = OriginPolicy.of("https://example.com");
    assertThat(p.checkRequest("https://example.com", "whatever")).isTrue();
    assertThat(p.checkRequest("https://evil.com", "localhost")).isFalse();
    assertThat(p.checkRequest(null, "localhost:8080")).isTrue();
    assertThat(p.checkRequest(null, "127.0.0.1:3000")).isTrue();
    assertThat(p.checkRequest(null, "[::1]:9090")).isTrue();
    assertThat(p.checkRequest(null, "::1")).isTrue();
    assertThat(p.checkRequest(null, "evil.com:8080")).isFalse();
    assertThat(p.checkRequest(null, "")).isTrue();
    assertThat(OriginPolicy.allowAll().checkRequest(null, "evil.com")).isTrue();
  }

  @Test
  void localhostHelper() {
    OriginPolicy p = OriginPolicy.localhost();
    assertMatch(p, "http://localhost:3000", true);
    assertMatch(p, "http://127.0.0.1:8080", true);
    assertMatch(p, "http://[::1]:5173", true);
    assertMatch(p, "https://evil.com", false);
    assertThat(p.patterns()).containsExactly("localhost");
  }

  @Test
  void policiesAreValuesThatSayWhatTheyAllow() {
    assertThat(OriginPolicy.of("https://a.com", "localhost"))
        .hasToString("OriginPolicy[https://a.com, localhost]");
    assertThat(OriginPolicy.sameOrigin()).hasToString("OriginPolicy[same origin][]");
    assertThat(OriginPolicy.sameOrigin().toRegexes()).isEmpty();
  }

  private static void assertMatch(OriginPolicy p, String origin, boolean allowed) {
    assertThat(p.matches(origin)).as("%s matches %s", p, origin).isEqualTo(allowed);
    // what Jetty's CrossOriginHandler does with the regexes: case-insensitive, whole value
    boolean regex =
        p.toRegexes().stream()
            .anyMatch(
                r ->
                    Pattern.compile(r, Pattern.CASE_INSENSITIVE).matcher(origin.strip()).matches());
    assertThat(regex).as("regex form of %s for %s", p, origin).isEqualTo(allowed);
  }
}
