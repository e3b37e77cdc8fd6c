package io.servicekit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OriginPolicyTest {
  @Test
  void requestsWithoutOriginPass() {
    assertThat(OriginPolicy.sameOrigin().check(StubRequest.of("example.com"))).isTrue();
  }

  @Test
  void sameOriginComparesHostAndPortWithDefaultPorts() {
    assertThat(OriginPolicy.isSameOrigin("http://localhost:8080", "localhost:8080")).isTrue();
    assertThat(OriginPolicy.isSameOrigin("https://Example.com", "example.com:443")).isTrue();
    assertThat(OriginPolicy.isSameOrigin("http://example.com:80", "example.com")).isTrue();
    assertThat(OriginPolicy.isSameOrigin("http://localhost:8081", "localhost:8080")).isFalse();
    assertThat(OriginPolicy.isSameOrigin("http://evil.com", "example.com")).isFalse();
    assertThat(OriginPolicy.isSameOrigin("null", "example.com")).isFalse();
    assertThat(OriginPolicy.isSameOrigin("http://[::1]:8080", "[::1]:8080")).isTrue();
    assertThat(OriginPolicy.isSameOrigin("http://example.com", "")).isFalse();
  }

  @Test
  void allowListTakesExactOriginsAndWildcardSubdomains() {
    OriginPolicy p = OriginPolicy.sameOriginOr("https://app.example.org", "https://*.example.com");
    assertThat(p.check(StubRequest.withOrigin("h", "https://app.example.org"))).isTrue();
    assertThat(p.check(StubRequest.withOrigin("h", "https://a.b.example.com"))).isTrue();
    assertThat(p.check(StubRequest.withOrigin("h", "https://example.com"))).isTrue();
    assertThat(p.check(StubRequest.withOrigin("h", "http://a.example.com"))).isFalse();
    assertThat(p.check(StubRequest.withOrigin("h", "https://evilexample.com"))).isFalse();
    assertThat(p.check(StubRequest.withOrigin("h", "https://app.example.org.evil.net"))).isFalse();
    assertThat(p.check(StubRequest.withOrigin("h:80", "http://h"))).isTrue();
  }

  @Test
  void starMeansAllowAllAndMalformedEntriesAreRejected() {
    assertThat(OriginPolicy.sameOriginOr("*").check(StubRequest.withOrigin("h", "http://x")))
        .isTrue();
    assertThatThrownBy(() -> OriginPolicy.sameOriginOr("example.com"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("example.com");
  }
}
