package io.servicekit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.testkit.FakeRequest;
import org.junit.jupiter.api.Test;

class OriginPolicyTest {
  private static HandshakeRequest request(String host) {
    return FakeRequest.builder().host(host).build();
  }

  private static HandshakeRequest withOrigin(String host, String origin) {
    return FakeRequest.builder().host(host).header("Origin", origin).build();
  }

  @Test
  void requestsWithoutOriginPass() {
    assertThat(OriginPolicy.sameOrigin().check(request("example.com"))).isTrue();
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
    assertThat(p.check(withOrigin("h", "https://app.example.org"))).isTrue();
    assertThat(p.check(withOrigin("h", "https://a.b.example.com"))).isTrue();
    assertThat(p.check(withOrigin("h", "https://example.com"))).isTrue();
    assertThat(p.check(withOrigin("h", "http://a.example.com"))).isFalse();
    assertThat(p.check(withOrigin("h", "https://evilexample.com"))).isFalse();
    assertThat(p.check(withOrigin("h", "https://app.example.org.evil.net"))).isFalse();
    assertThat(p.check(withOrigin("h:80", "http://h"))).isTrue();
  }

  @Test
  void starMeansAllowAllAndMalformedEntriesAreRejected() {
    assertThat(OriginPolicy.sameOriginOr("*").check(withOrigin("h", "http://x"))).isTrue();
    assertThatThrownBy(() -> OriginPolicy.sameOriginOr("example.com"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("example.com");
  }
}
