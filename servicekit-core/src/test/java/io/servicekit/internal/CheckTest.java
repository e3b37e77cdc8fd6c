package io.servicekit.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CheckTest {
  @Test
  void goodValuesComeBack() {
    assertThat(Check.positive("d", Duration.ofMillis(1))).isEqualTo(Duration.ofMillis(1));
    assertThat(Check.notNegative("d", Duration.ZERO)).isEqualTo(Duration.ZERO);
    assertThat(Check.atLeastOneMilli("d", Duration.ofMillis(1))).isEqualTo(Duration.ofMillis(1));
    assertThat(Check.positive("n", 1)).isEqualTo(1);
    assertThat(Check.positive("n", 1L)).isEqualTo(1L);
    assertThat(Check.notNegative("n", 0)).isZero();
    assertThat(Check.notNegative("n", 0L)).isZero();
    assertThat(Check.inRange("n", 0, 10, 10)).isEqualTo(10);
    assertThat(Check.finiteNotNegative("r", 0.0)).isZero();
    assertThat(Check.finiteAtLeast("r", 1.0, 1.0)).isEqualTo(1.0);
    assertThat(Check.notBlank("s", "x")).isEqualTo("x");
  }

  @Test
  void badValuesAreRefusedNamingSettingRuleAndValue() {
    assertThatThrownBy(() -> Check.positive("pingPeriod", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pingPeriod must be positive, was PT0S");
    assertThatThrownBy(() -> Check.positive("pingPeriod", Duration.ofSeconds(-1)))
        .hasMessage("pingPeriod must be positive, was PT-1S");
    assertThatThrownBy(() -> Check.notNegative("keepalive", Duration.ofMillis(-1)))
        .hasMessage("keepalive must be zero or positive, was PT-0.001S");
    assertThatThrownBy(() -> Check.atLeastOneMilli("retry", Duration.ofNanos(999_999)))
        .hasMessage("retry must be at least 1 ms, was PT0.000999999S");
    assertThatThrownBy(() -> Check.positive("max", 0)).hasMessage("max must be positive, was 0");
    assertThatThrownBy(() -> Check.positive("max", -1L)).hasMessage("max must be positive, was -1");
    assertThatThrownBy(() -> Check.notNegative("burst", -1))
        .hasMessage("burst must be zero or positive, was -1");
    assertThatThrownBy(() -> Check.notNegative("burst", -2L))
        .hasMessage("burst must be zero or positive, was -2");
    assertThatThrownBy(() -> Check.inRange("body", 0, 10, 11))
        .hasMessage("body must be 0 to 10, was 11");
    assertThatThrownBy(() -> Check.inRange("body", 0, 10, -1))
        .hasMessage("body must be 0 to 10, was -1");
    assertThatThrownBy(() -> Check.finiteNotNegative("rate", Double.NaN))
        .hasMessage("rate must be a finite number, zero or positive, was NaN");
    assertThatThrownBy(() -> Check.finiteNotNegative("rate", Double.POSITIVE_INFINITY))
        .hasMessage("rate must be a finite number, zero or positive, was Infinity");
    assertThatThrownBy(() -> Check.finiteAtLeast("factor", 1.0, 0.5))
        .hasMessage("factor must be a finite number of at least 1.0, was 0.5");
    assertThatThrownBy(() -> Check.notBlank("name", " "))
        .hasMessage("name must not be blank, was \" \"");
  }

  @Test
  void nullIsRefusedNamingTheSetting() {
    assertThatThrownBy(() -> Check.positive("writeTimeout", (Duration) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("writeTimeout");
    assertThatThrownBy(() -> Check.notNegative("keepalive", (Duration) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("keepalive");
    assertThatThrownBy(() -> Check.notBlank("name", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("name");
  }
}
