package io.servicekit.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the shared vectors ({@link SseParserVectorTest}) cannot say, because the JavaScript parser
 * differs there or has no such API: each event's own {@code retry}, limits in UTF-8 bytes, the
 * limit exception, reuse after {@link SseParser#end()}, argument checks.
 */
class SseParserTest {
  private final List<SseParser.Event> events = new ArrayList<>();

  private SseParser parser(String lastEventId, int maxLine, int maxEvent) {
    return new SseParser(events::add, lastEventId, maxLine, maxEvent);
  }

  private static void feed(SseParser p, String s) {
    p.feed(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void anEventCarriesItsOwnValidRetry() {
    assertThat(
            SseParser.parse(
                "retry: 3000\nid: 1\ndata: x\n\nretry: abc\ndata: y\n\n"
                    + "retry: 99999999999999999999\ndata: z\n\n"))
        .containsExactly(
            new SseParser.Event("message", "x", "1", "1", 3000),
            new SseParser.Event("message", "y", null, "1", -1),
            new SseParser.Event("message", "z", null, "1", -1)); // more than a long: ignored
  }

  /** maxEventBytes counts UTF-8 bytes, not chars: two euro signs are 6 bytes. */
  @Test
  void maxEventBytesCountsUtf8Bytes() {
    SseParser p = parser("", 100, 5);
    assertThatThrownBy(() -> feed(p, "data: \u20ac\u20ac\n"))
        .isInstanceOfSatisfying(
            SseParser.LimitException.class,
            e -> {
              assertThat(e.limit()).isEqualTo("maxEventBytes");
              assertThat(e.max()).isEqualTo(5);
            })
        .hasMessage("SSE event data of 6 bytes or more is over maxEventBytes=5; stream abandoned");
    SseParser q = parser("", 100, 6);
    feed(q, "data: \u20ac\u20ac\n\n");
    assertThat(events).extracting(SseParser.Event::data).containsExactly("\u20ac\u20ac");
  }

  @Test
  void maxLineBytesCountsUtf8Bytes() {
    SseParser p = parser("", 10, 100);
    assertThatThrownBy(() -> feed(p, "data:\u20ac\u20ac\n\n")) // 5 + 6 bytes: 11
        .isInstanceOf(SseParser.LimitException.class);
    feed(parser("", 11, 100), "data:\u20ac\u20ac\n\n");
    assertThat(events).extracting(SseParser.Event::data).containsExactly("\u20ac\u20ac");
  }

  @Test
  void theLineLimitNamesItself() {
    SseParser p = parser("", 10, 100);
    assertThatThrownBy(() -> feed(p, "data: 0123456789\n"))
        .isInstanceOfSatisfying(
            SseParser.LimitException.class,
            e -> {
              assertThat(e.limit()).isEqualTo("maxLineBytes");
              assertThat(e.max()).isEqualTo(10);
            })
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("SSE line longer than maxLineBytes=10 bytes; stream abandoned");
  }

  /** A reconnecting client feeds the next stream to the same parser after {@code end()}. */
  @Test
  void afterEndTheNextStreamStartsFresh() {
    SseParser p = parser("7", 100, 100);
    feed(p, "\uFEFFdata: a\n\nid: 8\nevent: e\ndata: cut");
    p.end();
    assertThat(p.lastEventId()).isEqualTo("7"); // the unfinished block's id does not count
    feed(p, "\uFEFFdata: b\n\n"); // a new stream: its BOM is skipped too
    assertThat(events)
        .containsExactly(
            new SseParser.Event("message", "a", null, "7", -1),
            new SseParser.Event("message", "b", null, "7", -1));
  }

  @Test
  void badArgumentsAreRefused() {
    assertThatThrownBy(() -> parser("a\0b", 10, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NUL");
    assertThatThrownBy(() -> parser("", 0, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxLineBytes and maxEventBytes must be positive: 0, 10");
    assertThatThrownBy(() -> parser("", 10, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxLineBytes and maxEventBytes must be positive: 10, -1");
    assertThatThrownBy(() -> parser("", 10, 10).feed(new byte[4], 2, 3))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(parser(null, 10, 10).lastEventId()).isEmpty();
  }

  @Test
  void feedReadsOnlyTheGivenRange() {
    byte[] buf = "xxdata: a\n\nyy".getBytes(StandardCharsets.US_ASCII);
    SseParser p = parser("", 100, 100);
    p.feed(buf, 2, buf.length - 4);
    assertThat(events).extracting(SseParser.Event::data).containsExactly("a");
  }
}
