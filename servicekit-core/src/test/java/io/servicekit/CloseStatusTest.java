package io.servicekit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CloseStatusTest {
  @ParameterizedTest
  @ValueSource(ints = {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000})
  void codesThatMayNotBeSentAreRejected(int code) {
    assertThatThrownBy(() -> CloseStatus.of(code, "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(String.valueOf(code));
  }

  @ParameterizedTest
  @ValueSource(ints = {1000, 1001, 1003, 1007, 1008, 1011, 1012, 1014, 3000, 4999})
  void sendableCodesAreAccepted(int code) {
    assertThat(CloseStatus.of(code, "ok").code()).isEqualTo(code);
  }

  @Test
  void longReasonsAreTruncatedOnACodePointToFitAControlFrame() {
    String reason = "é".repeat(100) + "€".repeat(50);
    CloseStatus s = CloseStatus.of(1000, reason);
    assertThat(s.reason().getBytes(StandardCharsets.UTF_8).length)
        .isLessThanOrEqualTo(CloseStatus.MAX_REASON_BYTES);
    assertThat(s.reason()).endsWith("...").startsWith("é");
  }

  @Test
  void receivedStatusesMayCarryNoStatusAndAbnormal() {
    assertThat(CloseStatus.received(1005, null).reason()).isEmpty();
    assertThat(CloseStatus.received(1006, "drop").code()).isEqualTo(1006);
    assertThat(CloseStatus.received(42, "x").code()).isEqualTo(CloseStatus.PROTOCOL_ERROR);
  }

  @Test
  void configRejectsNonPositiveSettingsNamingThem() {
    assertThatThrownBy(() -> WsConfig.builder().pingPeriod(java.time.Duration.ZERO).build())
        .hasMessageContaining("pingPeriod");
    assertThatThrownBy(() -> WsConfig.builder().maxQueuedBytes(-1).build())
        .hasMessageContaining("maxQueuedBytes must be positive, was -1");
  }
}
