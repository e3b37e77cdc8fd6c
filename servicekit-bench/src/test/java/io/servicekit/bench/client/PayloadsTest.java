package io.servicekit.bench.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class PayloadsTest {
  @Test
  void writesValidJsonOfExactlyTheSizeAndReadsTheFieldsBack() {
    byte[] buf = new byte[Payloads.SIZE];
    int len = Payloads.write(buf, Payloads.SIZE, "echo", 3, 99, 123456, 9_876_543_210L);
    assertThat(len).isEqualTo(200);
    String text = new String(buf, 0, len, StandardCharsets.US_ASCII);
    var node = JsonMapper.builder().build().readTree(text);
    assertThat(node.get("type").asString()).isEqualTo("echo");
    assertThat(node.get("r").asLong()).isEqualTo(3);
    assertThat(node.get("c").asLong()).isEqualTo(99);
    assertThat(node.get("s").asLong()).isEqualTo(123456);
    assertThat(node.get("t").asLong()).isEqualTo(9_876_543_210L);
    assertThat(node.get("pad").asString()).matches("x+");
    assertThat(Payloads.read(buf, 0, len))
        .isEqualTo(new Payloads.Fields(3, 99, 123456, 9_876_543_210L));
  }

  @Test
  void readsZeroFieldsAndReportsMissingOnesAsMinusOne() {
    byte[] buf = new byte[Payloads.SIZE];
    int len = Payloads.write(buf, Payloads.SIZE, "broadcast", 0, 0, 0, 0);
    assertThat(Payloads.read(buf, 0, len)).isEqualTo(new Payloads.Fields(0, 0, 0, 0));
    byte[] ping =
        "{\"connId\":\"abc\",\"name\":\"Echo\",\"pingId\":1,\"type\":\"ping\"}"
            .getBytes(StandardCharsets.US_ASCII);
    assertThat(Payloads.read(ping, 0, ping.length)).isEqualTo(new Payloads.Fields(-1, -1, -1, -1));
  }

  @Test
  void refusesFieldsThatDoNotFit() {
    byte[] buf = new byte[40];
    assertThatThrownBy(() -> Payloads.write(buf, 40, "echo", 1, 2, 3, Long.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("do not fit in 40 bytes");
  }
}
