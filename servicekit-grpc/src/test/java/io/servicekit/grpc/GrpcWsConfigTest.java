package io.servicekit.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.util.JsonFormat;
import io.servicekit.Scheduler;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class GrpcWsConfigTest {
  @Test
  void defaultsAreUnchanged() {
    GrpcWsConfig d = GrpcWsConfig.defaults();
    assertThat(d.initialWindow()).isEqualTo(16);
    assertThat(d.highWaterBytes()).isEqualTo(256 * 1024);
    assertThat(d.lowWaterBytes()).isEqualTo(64 * 1024);
    assertThat(d.pollInterval()).isEqualTo(Duration.ofMillis(10));
    assertThat(d.scheduler()).isSameAs(Scheduler.system());
    assertThat(d.parser()).isNotNull();
    assertThat(d.printer()).isNotNull();
    GrpcWsConfig b = GrpcWsConfig.builder().build();
    assertThat(b.initialWindow()).isEqualTo(d.initialWindow());
    assertThat(b.highWaterBytes()).isEqualTo(d.highWaterBytes());
    assertThat(b.lowWaterBytes()).isEqualTo(d.lowWaterBytes());
    assertThat(b.pollInterval()).isEqualTo(d.pollInterval());
  }

  @Test
  void eachBadValueIsRefusedAtOnceNamingSettingAndValue() {
    GrpcWsConfig.Builder b = GrpcWsConfig.builder();
    assertThatThrownBy(() -> b.initialWindow(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("initialWindow must be positive, was 0");
    assertThatThrownBy(() -> b.highWaterBytes(-1))
        .hasMessage("highWaterBytes must be zero or positive, was -1");
    assertThatThrownBy(() -> b.lowWaterBytes(-2))
        .hasMessage("lowWaterBytes must be zero or positive, was -2");
    assertThatThrownBy(() -> b.pollInterval(Duration.ZERO))
        .hasMessage("pollInterval must be positive, was PT0S");
    assertThatThrownBy(() -> b.pollInterval(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("pollInterval");
    assertThatThrownBy(() -> b.parser(null)).hasMessage("parser");
    assertThatThrownBy(() -> b.printer(null)).hasMessage("printer");
    assertThatThrownBy(() -> b.scheduler(null)).hasMessage("scheduler");
    assertThatThrownBy(() -> b.lowWaterBytes(10).highWaterBytes(5).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "lowWaterBytes must not be above highWaterBytes, was lowWaterBytes=10,"
                + " highWaterBytes=5");
  }

  @Test
  void toBuilderRoundTrips() {
    JsonFormat.Parser parser = JsonFormat.parser().ignoringUnknownFields();
    JsonFormat.Printer printer = JsonFormat.printer();
    Scheduler scheduler = Scheduler.system();
    GrpcWsConfig c =
        GrpcWsConfig.builder()
            .parser(parser)
            .printer(printer)
            .initialWindow(3)
            .highWaterBytes(100)
            .lowWaterBytes(100)
            .pollInterval(Duration.ofMillis(7))
            .scheduler(scheduler)
            .build();
    GrpcWsConfig copy = c.toBuilder().build();
    assertThat(copy.parser()).isSameAs(parser);
    assertThat(copy.printer()).isSameAs(printer);
    assertThat(copy.initialWindow()).isEqualTo(3);
    assertThat(copy.highWaterBytes()).isEqualTo(100);
    assertThat(copy.lowWaterBytes()).isEqualTo(100);
    assertThat(copy.pollInterval()).isEqualTo(Duration.ofMillis(7));
    assertThat(copy.scheduler()).isSameAs(scheduler);
    assertThat(c.toBuilder().initialWindow(4).build().initialWindow()).isEqualTo(4);
    assertThat(c.initialWindow()).isEqualTo(3);
  }
}
