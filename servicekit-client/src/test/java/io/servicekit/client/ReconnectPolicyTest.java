package io.servicekit.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReconnectPolicyTest {
  private final ReconnectPolicy policy =
      ReconnectPolicy.builder()
          .initialDelay(Duration.ofMillis(100))
          .maxDelay(Duration.ofSeconds(1))
          .jitter(0.5)
          .maxAttempts(6)
          .build();

  @Test
  void delaysGrowExponentiallyUpToTheCap() {
    assertThat(policy.delay(1, 0)).isEqualTo(Duration.ofMillis(100));
    assertThat(policy.delay(2, 0)).isEqualTo(Duration.ofMillis(200));
    assertThat(policy.delay(4, 0)).isEqualTo(Duration.ofMillis(800));
    assertThat(policy.delay(5, 0)).isEqualTo(Duration.ofSeconds(1));
    assertThat(policy.delay(60, 0)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void jitterTakesOffAtMostItsFraction() {
    for (double r = 0; r < 1; r += 0.05) {
      Duration d = policy.delay(3, r);
      assertThat(d).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
    }
    assertThat(policy.delay(10, 0.999)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
  }

  @Test
  void attemptsAndCodes() {
    assertThat(policy.allows(6)).isTrue();
    assertThat(policy.allows(7)).isFalse();
    assertThat(policy.isRetryableClose(1006)).isTrue();
    assertThat(policy.isRetryableClose(1001)).isTrue();
    assertThat(policy.isRetryableClose(1000)).isFalse();
    assertThat(policy.isRetryableClose(1008)).isFalse();
    assertThat(policy.isRetryableStatus(503)).isTrue();
    assertThat(policy.isRetryableStatus(429)).isTrue();
    assertThat(policy.isRetryableStatus(403)).isFalse();
    assertThat(ReconnectPolicy.none().allows(1)).isFalse();
    assertThat(ReconnectPolicy.none().isRetryableClose(1006)).isFalse();
  }
}
