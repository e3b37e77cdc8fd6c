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
    assertThatThrownBy(() -> RateLimitConfig.builder().globalPerSec(0).perKeyPerSec(0).build())
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
    assertThat(d.globalBurst()).isZero();
    assertThat(d.maxKeys()).isEqualTo(100_000);
    assertThat(RateLimitConfig.builder().build()).isEqualTo(d);
  }

  @Test
  void toBuilderRoundTrips() {
    RateLimitConfig c =
        RateLimitConfig.builder()
            .globalPerSec(7.5)
            .globalBurst(4)
            .perKeyPerSec(0.5)
            .perKeyBurst(2)
            .keyIdleTtl(Duration.ofSeconds(9))
            .maxKeys(12)
            .build();
    assertThat(c.toBuilder().build()).isEqualTo(c).hasSameHashCodeAs(c);
    assertThat(c.toBuilder().maxKeys(13).build().maxKeys()).isEqualTo(13);
    assertThat(c.maxKeys()).isEqualTo(12);
    assertThat(RateLimitConfig.perKey(3, 1))
        .isEqualTo(
            RateLimitConfig.builder().globalPerSec(0).perKeyPerSec(3).perKeyBurst(1).build());
    assertThat(RateLimitConfig.global(3, 1))
        .isEqualTo(
            RateLimitConfig.builder()
                .globalPerSec(3)
                .globalBurst(1)
                .perKeyPerSec(0)
                .perKeyBurst(0)
                .build());
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
        new RateLimitPolicy(
            RateLimitConfig.builder()
                .globalPerSec(2)
                .globalBurst(2)
                .perKeyPerSec(1)
                .perKeyBurst(1)
                .maxKeys(100)
                .build(),
            now::get);
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
            RateLimitConfig.perKey(1, 1).toBuilder().keyIdleTtl(Duration.ofMillis(50)).build(),
            now::get);
    p.allow("a");
    p.allow("b");
    assertThat(p.trackedKeys()).isEqualTo(2);
    advance(Duration.ofMillis(150));
    p.allow("c"); // the call that finds the sweep due does it
    assertThat(p.trackedKeys()).isEqualTo(1);
  }

  @Test
  void keyBoundEvictsOnlyFullBuckets() {
    RateLimitPolicy p =
        new RateLimitPolicy(RateLimitConfig.perKey(1, 1).toBuilder().maxKeys(2).build(), now::get);
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
    RateLimitConfig.Builder b = RateLimitConfig.builder();
    assertThatThrownBy(() -> b.globalPerSec(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("globalPerSec must be a finite number, zero or positive, was -1.0");
    assertThatThrownBy(() -> b.globalPerSec(Double.POSITIVE_INFINITY))
        .hasMessage("globalPerSec must be a finite number, zero or positive, was Infinity");
    assertThatThrownBy(() -> b.perKeyPerSec(Double.NaN))
        .hasMessage("perKeyPerSec must be a finite number, zero or positive, was NaN");
    assertThatThrownBy(() -> b.globalBurst(-2))
        .hasMessage("globalBurst must be zero or positive, was -2");
    assertThatThrownBy(() -> b.perKeyBurst(-1))
        .hasMessage("perKeyBurst must be zero or positive, was -1");
    assertThatThrownBy(() -> b.keyIdleTtl(Duration.ZERO))
        .hasMessage("keyIdleTtl must be positive, was PT0S");
    assertThatThrownBy(() -> b.keyIdleTtl(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("keyIdleTtl");
    assertThatThrownBy(() -> b.maxKeys(0)).hasMessage("maxKeys must be positive, was 0");
    assertThat(b.build()).isEqualTo(RateLimitConfig.defaults()); // refused values changed nothing
    assertThatThrownBy(() -> new TokenBucket(Double.NaN, 1, now::get)).hasMessageContaining("rate");
  }
}
