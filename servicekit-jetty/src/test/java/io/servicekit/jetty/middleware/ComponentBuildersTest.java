package io.servicekit.jetty.middleware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.OriginPolicy;
import org.junit.jupiter.api.Test;

/** The builders of {@link OriginChecker} and {@link HealthCheck}: defaults and refusals. */
class ComponentBuildersTest {
  @Test
  void originCheckerDefaultsAndOptions() {
    OriginPolicy policy = OriginPolicy.of("https://app.example.com");
    OriginChecker plain = OriginChecker.of(policy);
    assertThat(plain.patterns()).isSameAs(policy);
    assertThat(plain.checksAllRequests()).isFalse();
    assertThat(plain.checksDnsRebinding()).isFalse();
    OriginChecker strict =
        OriginChecker.builder(policy).checkingAllRequests(true).dnsRebindingCheck(true).build();
    assertThat(strict.checksAllRequests()).isTrue();
    assertThat(strict.checksDnsRebinding()).isTrue();
    assertThatThrownBy(() -> OriginChecker.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("patterns");
  }

  @Test
  void healthCheckDefaultsAndRefusals() {
    assertThat(HealthCheck.liveness().path()).isEqualTo("/healthz");
    assertThat(HealthCheck.builder().build().path()).isEqualTo("/healthz");
    assertThat(HealthCheck.readiness(() -> true).path()).isEqualTo("/readyz");
    assertThat(HealthCheck.builder().path("/ready").build().path()).isEqualTo("/ready");
    HealthCheck.Builder b = HealthCheck.builder();
    assertThatThrownBy(() -> b.path("ready"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("path must start with '/', was \"ready\"");
    assertThatThrownBy(() -> b.path(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("path");
    assertThatThrownBy(() -> b.readiness(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("readiness");
    assertThatThrownBy(() -> HealthCheck.readiness(null)).isInstanceOf(NullPointerException.class);
  }
}
