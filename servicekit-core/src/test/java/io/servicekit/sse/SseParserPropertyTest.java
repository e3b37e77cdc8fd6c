package io.servicekit.sse;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.props.Gens;
import io.servicekit.props.Prop;
import io.servicekit.props.SseGen;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Properties of {@link SseParser} (the Java client's, the test kit's and the load client's), on
 * inputs from a fixed seed.
 */
class SseParserPropertyTest {
  private static final int BIG = 1 << 20;

  /** Everything a parse reports, for comparing two parses of the same bytes. */
  record Outcome(
      List<SseParser.Event> events,
      List<Long> retries,
      List<String> comments,
      String lastEventId,
      String error) {}

  static Outcome parse(List<byte[]> chunks, int maxLineBytes, int maxEventBytes) {
    List<SseParser.Event> events = new ArrayList<>();
    List<Long> retries = new ArrayList<>();
    List<String> comments = new ArrayList<>();
    SseParser parser =
        new SseParser(
            new SseParser.Listener() {
              @Override
              public void onEvent(SseParser.Event e) {
                events.add(e);
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
            "",
            maxLineBytes,
            maxEventBytes);
    String error = null;
    try {
      for (byte[] chunk : chunks) {
        parser.feed(chunk, 0, chunk.length);
      }
      parser.end();
    } catch (SseParser.LimitException e) {
      error = e.getMessage(); // the documented error; any other exception fails the property
    }
    return new Outcome(events, retries, comments, parser.lastEventId(), error);
  }

  /**
   * Round trip: a stream written by {@code SseFormat} (events with any name, id, retry and data
   * with CR/LF/CRLF, comments, keepalives, bare retry hints) parses back, in any chunking, to the
   * same events in order (type, data with line breaks as LF, own id, sticky last event id), and
   * every retry hint reaches {@code onRetry}. 300 tries.
   */
  @Test
  void formatThenParseGivesTheSameEvents() {
    Prop.forAll(
        "SseParser parse(format(events)) == events",
        0xC11E0001L,
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
          List<SseParser.Event> expected = new ArrayList<>();
          List<Long> retries = new ArrayList<>();
          String last = "";
          for (SseGen.Item item : items) {
            if (item instanceof SseGen.Event e) {
              if (e.parsedId() != null) {
                last = e.parsedId();
              }
              if (e.retry() > 0) {
                retries.add(e.retry());
              }
              expected.add(
                  new SseParser.Event(
                      e.type(),
                      e.parsedData(),
                      e.parsedId(),
                      last,
                      e.retry() > 0 ? e.retry() : -1));
            } else if (item instanceof SseGen.Retry rt) {
              retries.add(rt.millis());
            }
          }
          Outcome got = parse(chunks, BIG, BIG);
          assertThat(got.error()).isNull();
          assertThat(got.events()).containsExactlyElementsOf(expected);
          assertThat(got.retries()).containsExactlyElementsOf(retries);
          assertThat(got.lastEventId()).isEqualTo(last);
        });
  }

  /**
   * Chunk-boundary independence and the one documented error: any bytes (SSE token soup, mutated
   * well-formed streams, BOM, invalid UTF-8, random), fed in any chunks, give the same events,
   * comments, retries, last event id and {@link SseParser.LimitException} as fed whole, with
   * generous limits and with small random ones; no other exception escapes. 1500 tries.
   */
  @Test
  void chunkingDoesNotChangeTheResult() {
    int[] events = new int[1];
    Prop.forAll(
        "SseParser chunked == whole",
        0xC11E0002L,
        1500,
        (r, size) -> {
          byte[] bytes = SseGen.soup(r, size);
          return new Object[] {
            bytes, Gens.cuts(r, bytes.length), 1 + r.nextInt(80), 1 + r.nextInt(120)
          };
        },
        a -> {
          byte[] bytes = (byte[]) a[0];
          int[] cuts = (int[]) a[1];
          for (int[] limits : new int[][] {{BIG, BIG}, {(Integer) a[2], (Integer) a[3]}}) {
            Outcome whole = parse(List.of(bytes), limits[0], limits[1]);
            Outcome chunked = parse(Gens.chunks(bytes, cuts), limits[0], limits[1]);
            assertThat(chunked).isEqualTo(whole);
            events[0] += whole.events().size();
          }
        });
    assertThat(events[0]).as("events dispatched").isGreaterThan(1000);
  }

  /**
   * Bounded lines: with {@code maxLineBytes} L, any bytes in any chunks fail with {@link
   * SseParser.LimitException} exactly when some line (terminator excluded) is longer than L. 1500
   * tries.
   */
  @Test
  void lineLimitIsEnforcedExactly() {
    int[] outcomes = new int[2]; // refused, accepted
    Prop.forAll(
        "SseParser throws iff a line exceeds maxLineBytes",
        0xC11E0004L,
        1500,
        (r, size) -> {
          byte[] bytes = SseGen.soup(r, size);
          return new Object[] {bytes, Gens.cuts(r, bytes.length), 1 + r.nextInt(60)};
        },
        a -> {
          byte[] bytes = (byte[]) a[0];
          int limit = (Integer) a[2];
          Outcome got = parse(Gens.chunks(bytes, (int[]) a[1]), limit, BIG);
          boolean tooLong = SseGen.longestLine(bytes) > limit;
          assertThat(got.error() != null).as("limit error: " + got.error()).isEqualTo(tooLong);
          outcomes[tooLong ? 0 : 1]++;
        });
    assertThat(outcomes[0]).as("refused").isGreaterThan(300);
    assertThat(outcomes[1]).as("accepted").isGreaterThan(300);
  }

  /**
   * Bounded events: an event whose data (lines joined with LF) is D bytes of UTF-8 is delivered
   * when D is at most {@code maxEventBytes} and refused with {@link SseParser.LimitException} when
   * D is larger, for any data (multi-line, non-ASCII) and any chunking. 1000 tries.
   */
  @Test
  void eventLimitIsEnforcedExactly() {
    int[] outcomes = new int[2]; // refused, accepted
    Prop.forAll(
        "SseParser throws iff an event's data exceeds maxEventBytes",
        0xC11E0005L,
        1000,
        (r, size) -> {
          SseGen.Event e = SseGen.event(r, size);
          byte[] bytes = e.bytes();
          int d = e.parsedData().getBytes(StandardCharsets.UTF_8).length;
          int limit = Math.max(1, d + r.nextInt(-3, 4));
          return new Object[] {e, Gens.chunks(bytes, Gens.cuts(r, bytes.length)), limit};
        },
        a -> {
          SseGen.Event e = (SseGen.Event) a[0];
          @SuppressWarnings("unchecked")
          List<byte[]> chunks = (List<byte[]>) a[1];
          int limit = (Integer) a[2];
          int d = e.parsedData().getBytes(StandardCharsets.UTF_8).length;
          Outcome got = parse(chunks, BIG, limit);
          boolean tooBig = d > limit;
          assertThat(got.error() != null).as("limit error: " + got.error()).isEqualTo(tooBig);
          if (!tooBig) {
            assertThat(got.events())
                .extracting(SseParser.Event::data)
                .containsExactly(e.parsedData());
          }
          outcomes[tooBig ? 0 : 1]++;
        });
    assertThat(outcomes[0]).as("refused").isGreaterThan(200);
    assertThat(outcomes[1]).as("accepted").isGreaterThan(200);
  }
}
