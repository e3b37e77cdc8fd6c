package io.servicekit.middleware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.internal.net.TokenBucket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Upstream ratelimit_test.go parity (policy level) and the W-76 fixes. */
class RateLimitPolicyTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void perKey() { // TestRateLimiter_PerKey: 1/s burst 1: a, a rejected, b allowed
    RateLimitPolicy p = new RateLimitPolicy(RateLimitConfig.perKey(1, 1), now::get);
    assertThat(p.allow("a")).isTrue();
    assertThat(p.allow("a")).isFalse();
    assertThat(p.allow("b")).isTrue();
  }

  @Test
  void globalOnly() { // TestRateLimiter_GlobalOnly: 2/s: two allowed, third rejected
    RateLimitPolicy p = new RateLimitPolicy(RateLimitConfig.global(2, 0), now::get);
    assertThat(p.allow("x")).isTrue();
    assertThat(p.allow("y")).isTrue();
    assertThat(p.allow("z")).isFalse();
    assertThat(p.trackedKeys()).isZero();
  }

  @Test
  void bothRatesZeroIsAnError() { // TestRateLimiter_NilFromConstructor, as a clear error
    assertThatThrownBy(() -> new RateLimitConfig(0, 0, 0, 0, Duration.ofMinutes(1), 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limits nothing");
  }

  @Test
  void defaultsAreUpstreams() {
    RateLimitConfig d = RateLimitConfig.defaults();
    assertThat(d.globalPerSec()).isEqualTo(100);
    assertThat(d.perKeyPerSec()).isEqualTo(5);
    assertThat(d.perKeyBurst()).isEqualTo(3);
    assertThat(d.keyIdleTtl()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void fractionalRateAdmitsOneRequestPerPeriodW76() {
    // Upstream: burst = int(0.5) = 0, so everything was rejected forever.
    RateLimitPolicy p = new RateLimitPolicy(RateLimitConfig.global(0.5, 0), now::get);
    assertThat(p.allow("k")).isTrue();
    RateLimitPolicy.Decision refused = p.check("k");
    assertThat(refused.allowed()).isFalse();
    assertThat(refused.retryAfter()).isEqualTo(Duration.ofSeconds(2));
    assertThat(refused.retryAfterSeconds()).isEqualTo(2);
    advance(Duration.ofMillis(1999));
    assertThat(p.allow("k")).isFalse();
    advance(Duration.ofMillis(1));
    assertThat(p.allow("k")).isTrue();
  }

  @Test
  void perKeyBurstZeroIsDefaultedNotBlockingW76() {
    // Upstream ExampleGuard's config {PerKeyPerSec: 10} (burst 0) blocked every request.
    RateLimitPolicy p = new RateLimitPolicy(RateLimitConfig.perKey(10, 0), now::get);
    for (int i = 0; i < 10; i++) {
      assertThat(p.allow("ip")).as("request %d", i).isTrue();
    }
    assertThat(p.allow("ip")).isFalse();
    advance(Duration.ofMillis(100));
    assertThat(p.allow("ip")).isTrue();
  }

  @Test
  void perKeyRejectionDoesNotSpendGlobalTokenW76() {
    RateLimitPolicy p =
        new RateLimitPolicy(new RateLimitConfig(2, 2, 1, 1, Duration.ofMinutes(5), 100), now::get);
    assertThat(p.allow("noisy")).isTrue(); // global 1 left
    for (int i = 0; i < 5; i++) {
      assertThat(p.check("noisy").limit()).isEqualTo("per-key");
    }
    assertThat(p.allow("quiet")).isTrue(); // global token still there
    RateLimitPolicy.Decision d = p.check("third");
    assertThat(d.allowed()).isFalse();
    assertThat(d.limit()).isEqualTo("global");
    // the refused global check gave "third" its per-key token back
    advance(Duration.ofMillis(500));
    assertThat(p.allow("third")).isTrue();
  }

  @Test
  void idleKeysAreForgottenWithoutABackgroundThread() { // TestRateLimiter_Cleanup, with fake time
    RateLimitPolicy p =
        new RateLimitPolicy(
            RateLimitConfig.perKey(1, 1).withKeyIdleTtl(Duration.ofMillis(50)), now::get);
    p.allow("a");
    p.allow("b");
    assertThat(p.trackedKeys()).isEqualTo(2);
    advance(Duration.ofMillis(150));
    p.allow("c"); // the call that finds the sweep due does it
    assertThat(p.trackedKeys()).isEqualTo(1);
  }

  @Test
  void keyBoundEvictsOnlyFullBuckets() {
    RateLimitPolicy p = new RateLimitPolicy(RateLimitConfig.perKey(1, 1).withMaxKeys(2), now::get);
    p.allow("a");
    p.allow("b");
    p.allow("c"); // three keys, over the bound, none refilled yet
    advance(Duration.ofSeconds(1)); // all three have refilled: evicting them loses nothing
    assertThat(p.allow("a")).isTrue();
    assertThat(p.trackedKeys()).isLessThanOrEqualTo(2);
    assertThat(p.allow("a")).isFalse(); // the live bucket of "a" was kept
  }

  @Test
  void badSettingsAreNamed() {
    assertThatThrownBy(() -> new RateLimitConfig(-1, 0, 0, 0, Duration.ofMinutes(1), 1))
        .hasMessageContaining("globalPerSec");
    assertThatThrownBy(() -> new RateLimitConfig(1, -2, 0, 0, Duration.ofMinutes(1), 1))
        .hasMessageContaining("globalBurst");
    assertThatThrownBy(() -> new RateLimitConfig(1, 0, 0, 0, Duration.ZERO, 1))
        .hasMessageContaining("keyIdleTtl");
    assertThatThrownBy(() -> new TokenBucket(Double.NaN, 1, now::get)).hasMessageContaining("rate");
  }
}
