package io.servicekit.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.props.Gens;
import io.servicekit.props.Prop;
import io.servicekit.props.SseGen;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Properties of the test kit's {@link SseEventParser}, on inputs from a fixed seed. */
class SseEventParserPropertyTest {
  /** Everything a parse reports, for comparing two parses of the same bytes. */
  record Outcome(
      List<SseEventParser.Event> events,
      List<String> comments,
      List<Long> retries,
      String lastEventId,
      String error) {}

  static Outcome parse(List<byte[]> chunks, int maxLineBytes) {
    List<SseEventParser.Event> events = new ArrayList<>();
    List<String> comments = new ArrayList<>();
    List<Long> retries = new ArrayList<>();
    SseEventParser parser =
        new SseEventParser(
            new SseEventParser.Listener() {
              @Override
              public void onEvent(SseEventParser.Event event) {
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
            },
            maxLineBytes);
    String error = null;
    try {
      for (byte[] chunk : chunks) {
        parser.feed(chunk, 0, chunk.length);
      }
      parser.end();
    } catch (IllegalStateException e) {
      error = e.getMessage(); // the documented limit error; any other exception fails the property
    }
    return new Outcome(events, comments, retries, parser.lastEventId(), error);
  }

  /**
   * Round trip: a stream of events written by {@code SseFormat} (any name, id, retry, data with
   * CR/LF/CRLF, empty lines, controls, non-BMP text), with comments, keepalives and bare retry
   * hints between them, parses back to the same events in order: type (the name or {@code
   * message}), data (line breaks as LF), this event's id, the sticky last event id, and retry;
   * every retry hint reaches {@code onRetry}. Whatever the chunking. 300 tries.
   */
  @Test
  void formatThenParseGivesTheSameEvents() {
    Prop.forAll(
        "SseEventParser parse(format(events)) == events",
        0x55E0001L,
        300,
        (r, size) -> {
          List<SseGen.Item> items = SseGen.stream(r, size);
          byte[] bytes = SseGen.bytes(items);
          return new Object[] {items, Gens.chunks(bytes, Gens.cuts(r, bytes.length))};
        },
        a -> {
          @SuppressWarnings("unchecked")
          List<SseGen.Item> items = (List<SseGen.Item>) a[0];
          @SuppressWarnings("unchecked")
          List<byte[]> chunks = (List<byte[]>) a[1];
          List<SseEventParser.Event> expected = new ArrayList<>();
          List<Long> retries = new ArrayList<>();
          String last = "";
          for (SseGen.Item item : items) {
            if (item instanceof SseGen.Event e) {
              if (e.parsedId() != null) {
                last = e.parsedId();
              }
              long retry = e.retry() > 0 ? e.retry() : -1;
              if (retry > 0) {
                retries.add(retry);
              }
              expected.add(
                  new SseEventParser.Event(e.type(), e.parsedData(), e.parsedId(), last, retry));
            } else if (item instanceof SseGen.Retry rt) {
              retries.add(rt.millis());
            }
          }
          Outcome got = parse(chunks, SseEventParser.DEFAULT_MAX_LINE_BYTES);
          assertThat(got.error()).isNull();
          assertThat(got.events()).containsExactlyElementsOf(expected);
          assertThat(got.retries()).containsExactlyElementsOf(retries);
          assertThat(got.lastEventId()).isEqualTo(last);
        });
  }

  /**
   * Chunk-boundary independence: any bytes (SSE token soup with CR/LF/CRLF, BOM, invalid UTF-8, or
   * random), fed in any chunks (one-byte chunks and CRLF split across two feeds included), give the
   * same events, comments, retries, last event id and limit error as fed whole; the only exception
   * ever thrown is the documented {@link IllegalStateException} of the line limit. 1500 tries.
   */
  @Test
  void chunkingDoesNotChangeTheResult() {
    int[] events = new int[1];
    Prop.forAll(
        "SseEventParser chunked == whole",
        0x55E0002L,
        1500,
        (r, size) -> {
          byte[] bytes = SseGen.soup(r, size);
          return new Object[] {bytes, Gens.cuts(r, bytes.length), 1 + r.nextInt(80)};
        },
        a -> {
          byte[] bytes = (byte[]) a[0];
          int[] cuts = (int[]) a[1];
          int limit = (Integer) a[2];
          for (int max : new int[] {SseEventParser.DEFAULT_MAX_LINE_BYTES, limit}) {
            Outcome whole = parse(List.of(bytes), max);
            Outcome chunked = parse(Gens.chunks(bytes, cuts), max);
            assertThat(chunked).isEqualTo(whole);
            events[0] += whole.events().size();
          }
        });
    assertThat(events[0]).as("events dispatched").isGreaterThan(1000);
  }

  /**
   * Bounded lines: with a limit of L bytes, parsing any bytes in any chunks fails with the
   * documented {@link IllegalStateException} exactly when some line (terminator excluded, BOM
   * included) is longer than L. 1500 tries. (The parser has no limit on an event's total data: a
   * stream of many short data lines without a blank line grows without bound.)
   */
  @Test
  void lineLimitIsEnforcedExactly() {
    int[] outcomes = new int[2]; // refused, accepted
    Prop.forAll(
        "SseEventParser throws iff a line exceeds maxLineBytes",
        0x55E0003L,
        1500,
        (r, size) -> {
          byte[] bytes = SseGen.soup(r, size);
          return new Object[] {bytes, Gens.cuts(r, bytes.length), 1 + r.nextInt(60)};
        },
        a -> {
          byte[] bytes = (byte[]) a[0];
          int limit = (Integer) a[2];
          Outcome got = parse(Gens.chunks(bytes, (int[]) a[1]), limit);
          boolean tooLong = SseGen.longestLine(bytes) > limit;
          assertThat(got.error() != null).as("limit error").isEqualTo(tooLong);
          outcomes[tooLong ? 0 : 1]++;
        });
    assertThat(outcomes[0]).as("refused").isGreaterThan(300);
    assertThat(outcomes[1]).as("accepted").isGreaterThan(300);
  }
}
