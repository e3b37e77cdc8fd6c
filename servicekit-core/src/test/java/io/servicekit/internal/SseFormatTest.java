package io.servicekit.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.Codec;
import io.servicekit.EncodeException;
import io.servicekit.JsonCodec;
import io.servicekit.Message;
import io.servicekit.sse.SseEvent;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Exact bytes of the SSE framing (upstream §4.2, §15.2 item 3) and its injection defences. */
class SseFormatTest {
  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void eventWithIdIsFramedInUpstreamOrder() {
    SseEvent e = SseEvent.encode(JsonCodec.INSTANCE, "update", "evt-1", Map.of("key", "value"));
    assertThat(text(e.toBytes()))
        .isEqualTo("event: update\nid: evt-1\ndata: {\"key\":\"value\"}\n\n");
  }

  @Test
  void fieldOrderIsEventIdRetryData() {
    assertThat(SseFormat.eventText("hint", "e1", 2500, "x"))
        .isEqualTo("event: hint\nid: e1\nretry: 2500\ndata: x\n\n");
  }

  @Test
  void plainDataHasOnlyADataLine() {
    assertThat(text(SseEvent.of("hello").toBytes())).isEqualTo("data: hello\n\n");
  }

  @Test
  void retryZeroIsOmittedAndNegativeRejected() {
    assertThat(SseFormat.eventText(null, null, 0, "x")).isEqualTo("data: x\n\n");
    assertThatThrownBy(() -> SseEvent.of(null, null, -100, "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retry")
        .hasMessageContaining("-100");
  }

  @Test
  void keepaliveAndBareRetryBytes() {
    assertThat(text(SseFormat.keepalive())).isEqualTo(": keepalive\n\n");
    assertThat(text(SseFormat.retry(3000))).isEqualTo("retry: 3000\n\n");
    assertThatThrownBy(() -> SseFormat.retry(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void multiLineDataIsSplitOnLfCrAndCrlf() {
    assertThat(SseFormat.eventText(null, null, 0, "a\nb\rc\r\nd"))
        .isEqualTo("data: a\ndata: b\ndata: c\ndata: d\n\n");
  }

  @Test
  void lineBreaksAtTheEdgesBecomeEmptyDataLines() {
    assertThat(SseFormat.eventText(null, null, 0, "\na\n"))
        .isEqualTo("data: \ndata: a\ndata: \n\n");
    assertThat(SseFormat.eventText(null, null, 0, "")).isEqualTo("data: \n\n");
    assertThat(SseFormat.eventText(null, null, 0, "\r\n\r\n"))
        .isEqualTo("data: \ndata: \ndata: \n\n");
  }

  @Test
  void aPayloadThatLooksLikeFieldsStaysData() {
    assertThat(SseFormat.eventText(null, null, 0, "x\n\nevent: evil\nid: 666\n\ndata: y"))
        .isEqualTo("data: x\ndata: \ndata: event: evil\ndata: id: 666\ndata: \ndata: data: y\n\n");
  }

  @Test
  void leadingSpaceOfDataIsKeptByTheOneSpaceSeparator() {
    assertThat(SseFormat.eventText(null, null, 0, " x")).isEqualTo("data:  x\n\n");
  }

  @Test
  void utf8IsWrittenAsIs() {
    assertThat(SseEvent.of("é€😀").toBytes())
        .isEqualTo("data: é€😀\n\n".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void eventNamesAndIdsWithCrLfOrNulAreRejected() {
    for (String bad : new String[] {"a\nb", "a\rb", "a\r\nb", "a\0b", "\n"}) {
      assertThatThrownBy(() -> SseEvent.named(bad, "x"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("SSE event name must not contain CR, LF or NUL: ");
      assertThatThrownBy(() -> SseEvent.of("x").withId(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("SSE event id must not contain CR, LF or NUL: ");
    }
    assertThatThrownBy(() -> SseEvent.of("x").withId("1\0"))
        .hasMessage("SSE event id must not contain CR, LF or NUL: \"1\\0\"");
  }

  @Test
  void emptyNameAndIdAreOmitted() {
    assertThat(SseFormat.eventText("", "", 0, "x")).isEqualTo("data: x\n\n");
    assertThat(SseEvent.of("", "", 0, "x").id()).isNull();
  }

  @Test
  void multiLineCommentsBecomeOneCommentLineEach() {
    assertThat(text(SseFormat.comment("a\nb"))).isEqualTo(": a\n: b\n\n");
    assertThat(text(SseFormat.comment("keepalive"))).isEqualTo(": keepalive\n\n");
  }

  @Test
  void binaryCodecOutputIsRefused() {
    Codec<Message, Message> raw = Codec.raw();
    assertThatThrownBy(() -> SseEvent.encode(raw, null, null, Message.binary(new byte[] {1, 2})))
        .isInstanceOf(EncodeException.class)
        .hasMessageContaining("SSE data must be text");
  }

  @Test
  void equalEventsHaveEqualBytes() {
    assertThat(SseEvent.named("a", "b").withId("1")).isEqualTo(SseEvent.of("a", "1", 0, "b"));
  }
}
