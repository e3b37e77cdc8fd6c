package io.servicekit.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReconnectPolicyTest {
  private final ReconnectPolicy policy =
      ReconnectPolicy.builder()
          .initialDelay(Duration.ofMillis(100))
          .maxDelay(Duration.ofSeconds(1))
          .maxAttempts(6)
          .build();

  @Test
  void boundsGrowExponentiallyUpToTheCap() {
    // random just below 1 gives the top of the window: bound - 1 ms
    double top = Math.nextDown(1.0);
    assertThat(policy.delay(1, top)).isEqualTo(Duration.ofMillis(99));
    assertThat(policy.delay(2, top)).isEqualTo(Duration.ofMillis(199));
    assertThat(policy.delay(4, top)).isEqualTo(Duration.ofMillis(799));
    assertThat(policy.delay(5, top)).isEqualTo(Duration.ofMillis(999));
    assertThat(policy.delay(60, top)).isEqualTo(Duration.ofMillis(999));
    assertThat(policy.delay(5000, 0.5)).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void fullJitterSpansTheWholeWindowFromZero() {
    assertThat(policy.delay(3, 0)).isEqualTo(Duration.ZERO);
    for (double r = 0; r < 1; r += 0.05) {
      Duration d = policy.delay(3, r);
      assertThat(d).isBetween(Duration.ZERO, Duration.ofMillis(399));
      assertThat(d.toMillis()).isEqualTo((long) Math.floor(r * 400));
    }
  }

  @Test
  void aFloorFromTheServerWinsAndARandomOutsideTheWindowIsClamped() {
    assertThat(policy.delay(1, 0.5, Duration.ofMillis(100), Duration.ofSeconds(2)))
        .isEqualTo(Duration.ofSeconds(2));
    assertThat(policy.delay(1, 0.5, Duration.ofSeconds(3), Duration.ofSeconds(3)))
        .isEqualTo(Duration.ofSeconds(3)); // base above the cap raises it
    assertThat(policy.delay(2, 0.5, Duration.ofSeconds(3), Duration.ofSeconds(3)))
        .isEqualTo(Duration.ofSeconds(3));
    assertThat(policy.delay(1, 1.5)).isEqualTo(Duration.ofMillis(99));
    assertThat(policy.delay(1, -1)).isEqualTo(Duration.ZERO);
    assertThat(policy.delay(1, Double.NaN)).isEqualTo(Duration.ZERO);
    assertThatThrownBy(() -> policy.delay(0, 0.5))
        .hasMessageContaining("attempt must be at least 1 (1-based): 0");
  }

  @Test
  void retryAfterIsSecondsOrAnHttpDate() {
    long now = java.time.Instant.parse("2026-12-07T14:00:00Z").toEpochMilli();
    assertThat(ReconnectPolicy.retryAfterMillis("120", now)).isEqualTo(120_000);
    assertThat(ReconnectPolicy.retryAfterMillis(" 3 ", now)).isEqualTo(3000);
    assertThat(ReconnectPolicy.retryAfterMillis("Mon, 07 Dec 2026 14:00:05 GMT", now))
        .isEqualTo(5000);
    assertThat(ReconnectPolicy.retryAfterMillis("Mon, 07 Dec 2026 13:00:00 GMT", now)).isZero();
    assertThat(ReconnectPolicy.retryAfterMillis("soon", now)).isZero();
    assertThat(ReconnectPolicy.retryAfterMillis("-5", now)).isZero();
    assertThat(ReconnectPolicy.retryAfterMillis(null, now)).isZero();
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
