package io.servicekit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.testkit.SseEventParser.Event;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The parser fed exact bytes: upstream §13.6 where the WHATWG spec agrees, the spec where it does
 * not (lone CR line ends, comment-only and data-less blocks not dispatched, unfinished events
 * discarded at the end).
 */
class SseEventParserTest {
  /** Records events and comments in order. */
  private static final class Recorder implements SseEventParser.Listener {
    final List<Event> events = new ArrayList<>();
    final List<String> comments = new ArrayList<>();
    final List<Long> retries = new ArrayList<>();

    @Override
    public void onEvent(Event event) {
      events.add(event);
    }

    @Override
    public void onComment(String comment) {
      comments.add(comment);
    }

    @Override
    public void onRetry(long millis) {
      retries.add(millis);
    }
  }

  private static Recorder feed(String... chunks) {
    Recorder r = new Recorder();
    SseEventParser p = new SseEventParser(r);
    for (String c : chunks) {
      p.feed(c.getBytes(StandardCharsets.UTF_8));
    }
    p.end();
    return r;
  }

  private static Event only(String stream) {
    List<Event> events = SseEventParser.parse(stream);
    assertThat(events).hasSize(1);
    return events.get(0);
  }

  @Test
  void basic() {
    Event e = only("event: foo\ndata: bar\n\n");
    assertThat(e.type()).isEqualTo("foo");
    assertThat(e.data()).isEqualTo("bar");
  }

  @Test
  void dataOnlyDefaultsToMessage() {
    Event e = only("data: hello\n\n");
    assertThat(e.type()).isEqualTo("message");
    assertThat(e.data()).isEqualTo("hello");
    assertThat(e.id()).isNull();
    assertThat(e.retry()).isEqualTo(-1);
  }

  @Test
  void multiLineDataIsJoinedWithLf() {
    assertThat(only("data: a\ndata: b\ndata: c\n\n").data()).isEqualTo("a\nb\nc");
  }

  @Test
  void commentOnlyBlockIsNotAnEventButIsReported() {
    Recorder r = feed(": keepalive\n\n");
    assertThat(r.events).isEmpty();
    assertThat(r.comments).containsExactly("keepalive");
  }

  @Test
  void idField() {
    Event e = only("id: 42\ndata: x\n\n");
    assertThat(e.id()).isEqualTo("42");
    assertThat(e.lastEventId()).isEqualTo("42");
  }

  @Test
  void retryFieldDigitsOnly() {
    Recorder r =
        feed("retry: 3000\ndata: x\n\nretry: abc\ndata: y\n\nretry: -1\nretry: 1.5\nretry:\n\n");
    assertThat(r.events.get(0).retry()).isEqualTo(3000);
    assertThat(r.events.get(1).retry()).as("invalid retry ignored").isEqualTo(-1);
    assertThat(r.retries).containsExactly(3000L);
  }

  @Test
  void multipleEvents() {
    assertThat(SseEventParser.parse("data: 1\n\ndata: 2\n\n"))
        .extracting(Event::data)
        .containsExactly("1", "2");
  }

  @Test
  void commentsInsideAnEventDoNotDisturbIt() {
    Recorder r = feed("event: e\n: note\ndata: x\n: other\n\n");
    assertThat(r.events).containsExactly(new Event("e", "x", null, "", -1));
    assertThat(r.comments).containsExactly("note", "other");
  }

  @Test
  void emptyDataFieldDispatchesAnEmptyEvent() {
    assertThat(only("data:\n\n").data()).isEmpty();
    assertThat(only("data\n\n").data()).as("line without colon").isEmpty();
  }

  @Test
  void unfinishedEventAtTheEndIsDiscarded() {
    assertThat(SseEventParser.parse("data: complete\n\ndata: partial")).hasSize(1);
    assertThat(SseEventParser.parse("data: partial\n")).isEmpty();
  }

  @Test
  void allFields() {
    assertThat(only("event: e\nid: 1\nretry: 5000\ndata: d\n\n"))
        .isEqualTo(new Event("e", "d", "1", "1", 5000));
  }

  @Test
  void crlfLfAndLoneCrLineEnds() {
    assertThat(only("event: a\r\ndata: b\r\n\r\n")).isEqualTo(new Event("a", "b", null, "", -1));
    assertThat(only("event: a\rdata: b\r\r")).isEqualTo(new Event("a", "b", null, "", -1));
    assertThat(only("data: 1\rdata: 2\ndata: 3\r\n\n").data()).isEqualTo("1\n2\n3");
  }

  @Test
  void crlfSplitAcrossChunksIsOneLineEnd() {
    Recorder r = feed("data: a\r", "\ndata: b\r", "\n\r", "\n");
    assertThat(r.events).extracting(Event::data).containsExactly("a\nb");
  }

  @Test
  void everyByteOnItsOwn() {
    String stream = "\uFEFFevent: é\r\nid: 7\r\ndata: x€\r\n\r\n";
    byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
    Recorder r = new Recorder();
    SseEventParser p = new SseEventParser(r);
    for (byte b : bytes) {
      p.feed(new byte[] {b});
    }
    assertThat(r.events).containsExactly(new Event("é", "x€", "7", "7", -1));
  }

  @Test
  void fieldWithNoValue() {
    assertThat(only("event:\ndata: x\n\n").type()).isEqualTo("message");
  }

  @Test
  void exactlyOneSpaceAfterTheColonIsRemoved() {
    assertThat(only("data: hello\n\n").data()).isEqualTo("hello");
    assertThat(only("data:hello\n\n").data()).isEqualTo("hello");
    assertThat(only("data:  hello\n\n").data()).isEqualTo(" hello");
  }

  @Test
  void unknownFieldsAreIgnored() {
    assertThat(only("foo: bar\ndata: x\n\n")).isEqualTo(new Event("message", "x", null, "", -1));
    assertThat(SseEventParser.parse("foo: bar\n\n")).isEmpty();
  }

  @Test
  void idWithNulIsIgnored() {
    Event e = only("id: 1\0\ndata: x\n\n");
    assertThat(e.id()).isNull();
    assertThat(e.lastEventId()).isEmpty();
  }

  @Test
  void lastEventIdIsStickyAndAnIdOnlyBlockUpdatesIt() {
    Recorder r = new Recorder();
    SseEventParser p = new SseEventParser(r);
    p.feed("id: 1\ndata: a\n\ndata: b\n\nid: 9\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(r.events).extracting(Event::lastEventId).containsExactly("1", "1");
    assertThat(r.events.get(1).id()).isNull();
    assertThat(p.lastEventId()).isEqualTo("9");
    p.feed("id\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(p.lastEventId()).as("an empty id resets it").isEmpty();
  }

  @Test
  void multipleComments() {
    assertThat(feed(": one\n:two\n:  three\n\n").comments).containsExactly("one", "two", " three");
  }

  @Test
  void consecutiveBlankLinesDispatchNothing() {
    assertThat(SseEventParser.parse("\n\n\n\ndata: x\n\n\n\n")).hasSize(1);
  }

  @Test
  void onlyOneLeadingBomIsStripped() {
    assertThat(only("\uFEFFdata: x\n\n").data()).isEqualTo("x");
    Recorder r = feed("\uFEFF\uFEFFdata: x\n\n");
    assertThat(r.events).as("a second BOM makes an unknown field").isEmpty();
    assertThat(SseEventParser.parse("data: a\n\n\uFEFFdata: b\n\n")).hasSize(1);
  }

  @Test
  void bomSplitAcrossChunks() {
    byte[] all = "\uFEFFdata: x\n\n".getBytes(StandardCharsets.UTF_8);
    Recorder r = new Recorder();
    SseEventParser p = new SseEventParser(r);
    p.feed(all, 0, 1);
    p.feed(all, 1, 2);
    p.feed(all, 3, all.length - 3);
    assertThat(r.events).extracting(Event::data).containsExactly("x");
  }

  @Test
  void linesLongerThanTheLimitAreRefused() {
    SseEventParser p = new SseEventParser(e -> {}, 16);
    assertThatThrownBy(() -> p.feed(("data: " + "x".repeat(20)).getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("longer than 16 bytes");
  }

  @Test
  void malformedUtf8BecomesReplacementCharacters() {
    byte[] bad = {'d', 'a', 't', 'a', ':', ' ', (byte) 0xC3, '\n', '\n'};
    assertThat(SseEventParser.parse(bad)).extracting(Event::data).containsExactly("\uFFFD");
  }
}
