package io.servicekit.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {
  private final List<ServerSentEvent> events = new ArrayList<>();
  private final List<Long> retries = new ArrayList<>();

  private SseParser parser(int maxLine, int maxEvent) {
    return new SseParser("", maxLine, maxEvent, events::add, retries::add);
  }

  private static void feed(SseParser p, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    p.feed(b, 0, b.length);
  }

  @Test
  void specRulesWithLineEndingsSplitAcrossFeeds() {
    SseParser p = parser(1000, 1000);
    feed(p, "\uFEFFevent: a\r");
    feed(p, "\ndata:x\rdata:  y\n: comment\nid: 7\nretry: 250\nretry: 1x\nbogus\n\n");
    feed(p, "data\n\nid: 8\n\n");
    assertThat(events)
        .containsExactly(
            new ServerSentEvent("a", "x\n y", "7", "7"),
            new ServerSentEvent("message", "", null, "7"));
    assertThat(retries).containsExactly(250L);
    assertThat(p.lastEventId()).isEqualTo("8"); // an id-only block still moves the last id
  }

  @Test
  void anUnfinishedEventNeitherDispatchesNorMovesTheLastId() {
    SseParser p = parser(1000, 1000);
    feed(p, "id: 1\ndata: a\n\nid: 2\ndata: b\n");
    p.end();
    assertThat(events).containsExactly(new ServerSentEvent("message", "a", "1", "1"));
    assertThat(p.lastEventId()).isEqualTo("1");
  }

  @Test
  void idsWithNulAreIgnored() {
    SseParser p = parser(1000, 1000);
    feed(p, "id: 1\ndata: a\n\nid: x\u0000y\ndata: b\n\n");
    assertThat(events.get(1)).isEqualTo(new ServerSentEvent("message", "b", null, "1"));
  }

  @Test
  void limitsAreEnforcedWithClearErrors() {
    SseParser p = parser(10, 1000);
    assertThatThrownBy(() -> feed(p, "data: 0123456789\n"))
        .isInstanceOf(SseLimitException.class)
        .hasMessageContaining("maxLineBytes=10");
    SseParser q = parser(100, 10);
    feed(q, "data: 12345\n");
    assertThatThrownBy(() -> feed(q, "data: 67890\n"))
        .isInstanceOf(SseLimitException.class)
        .hasMessageContaining("maxEventBytes=10");
  }

  /** Found by SseParserPropertyTest: data of exactly maxEventBytes was refused (off by one). */
  @Test
  void dataOfExactlyMaxEventBytesIsDelivered() {
    SseParser p = parser(100, 1);
    feed(p, "event: t\nretry: 5\ndata: \"\n\n");
    assertThat(events).containsExactly(new ServerSentEvent("t", "\"", null, ""));
    SseParser q = parser(100, 11);
    feed(q, "data: 12345\ndata: 67890\n\n"); // 5 + LF + 5 = 11 bytes
    assertThat(events.get(1).data()).isEqualTo("12345\n67890");
  }

  /** maxEventBytes counts UTF-8 bytes, not chars: two euro signs are 6 bytes. */
  @Test
  void maxEventBytesCountsUtf8Bytes() {
    SseParser p = parser(100, 5);
    assertThatThrownBy(() -> feed(p, "data: \u20ac\u20ac\n"))
        .isInstanceOf(SseLimitException.class)
        .hasMessageContaining("maxEventBytes=5");
    SseParser q = parser(100, 6);
    feed(q, "data: \u20ac\u20ac\n\n");
    assertThat(events).extracting(ServerSentEvent::data).containsExactly("\u20ac\u20ac");
  }
}
