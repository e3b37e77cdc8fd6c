package io.servicekit.bench.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseDecoderTest {
  private static List<String> decode(byte[] body) {
    List<String> out = new ArrayList<>();
    new SseDecoder(false)
        .feed(
            body,
            0,
            body.length,
            (b, off, len) -> out.add(new String(b, off, len, StandardCharsets.UTF_8)));
    return out;
  }

  /** Found by SseDecoderPropertyTest: a leading BOM hid the first line's field name. */
  @Test
  void aLeadingBomIsIgnored() {
    assertThat(decode("\uFEFFdata\n\n".getBytes(StandardCharsets.UTF_8))).containsExactly("");
    assertThat(decode("\uFEFFdata: a\n\n".getBytes(StandardCharsets.UTF_8))).containsExactly("a");
    // Only one, and only at the start of the stream.
    assertThat(
            decode(
                "\uFEFF\uFEFFdata: a\n\ndata: b\n\n\uFEFFdata: c\n\n"
                    .getBytes(StandardCharsets.UTF_8)))
        .containsExactly("b");
  }
}
