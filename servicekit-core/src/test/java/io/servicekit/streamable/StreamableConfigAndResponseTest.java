package io.servicekit.streamable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StreamableConfigAndResponseTest {
  @Test
  void defaults() {
    StreamableConfig c = StreamableConfig.defaults();
    assertThat(c.maxBodyBytes()).isEqualTo(4L << 20);
    assertThat(c.queueCapacity()).isEqualTo(64);
    assertThat(c.maxQueuedBytes()).isEqualTo(1L << 20);
    assertThat(c.keepalivePeriod()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.writeTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.retry()).isEmpty();
    assertThat(c.toBuilder().queueCapacity(3).build().queueCapacity()).isEqualTo(3);
  }

  @Test
  void invalidSettingsNameTheValue() {
    assertInvalid(StreamableConfig.builder().maxBodyBytes(-1), "maxBodyBytes", "-1");
    assertInvalid(StreamableConfig.builder().queueCapacity(0), "queueCapacity", "0");
    assertInvalid(StreamableConfig.builder().maxQueuedBytes(0), "maxQueuedBytes", "0");
    assertInvalid(
        StreamableConfig.builder().keepalivePeriod(Duration.ofSeconds(-1)),
        "keepalivePeriod",
        "PT-1S");
    assertInvalid(StreamableConfig.builder().writeTimeout(Duration.ZERO), "writeTimeout", "PT0S");
    assertInvalid(StreamableConfig.builder().retry(Duration.ofNanos(5)), "retry", "PT0.000000005S");
    assertThat(StreamableConfig.builder().keepalivePeriod(Duration.ZERO).build().keepalivePeriod())
        .isZero();
  }

  private static void assertInvalid(StreamableConfig.Builder b, String name, String value) {
    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(name)
        .hasMessageContaining(value);
  }

  @Test
  void singleResponses() {
    SingleResponse json = SingleResponse.json(200, "{\"a\":1}");
    assertThat(json.headers()).containsEntry("Content-Type", List.of("application/json"));
    assertThat(json.bodyAsString()).isEqualTo("{\"a\":1}");
    SingleResponse accepted = SingleResponse.empty(202).withHeader("Mcp-Session-Id", "s");
    assertThat(accepted.body()).isEmpty();
    assertThat(accepted.headers()).containsExactly(Map.entry("Mcp-Session-Id", List.of("s")));
    assertThat(accepted.withHeader("Mcp-Session-Id", "t").headers().get("Mcp-Session-Id"))
        .containsExactly("s", "t");
    assertThat(SingleResponse.json(200, "x")).isEqualTo(SingleResponse.json(200, "x"));

    byte[] body = {1, 2};
    SingleResponse copy = new SingleResponse(200, Map.of(), body);
    body[0] = 9;
    assertThat(copy.body()).containsExactly(1, 2);
  }

  @Test
  void invalidResponsesNameTheRule() {
    assertThatThrownBy(() -> SingleResponse.empty(199))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("200-599: 199");
    assertThatThrownBy(() -> new StreamResponse(404, Map.of(), sink -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("200-299: 404");
    assertThatThrownBy(() -> SingleResponse.empty(200).withHeader("X", "a\r\nSet-Cookie: x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("value of header X");
    assertThatThrownBy(() -> StreamResponse.of(sink -> {}).withHeader("", "v"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("header name");
    assertThatThrownBy(() -> StreamResponse.of(null)).isInstanceOf(NullPointerException.class);
  }
}
