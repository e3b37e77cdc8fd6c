package io.servicekit.bench.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseBookkeepingTest {
  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** {@code body} in the chunked transfer coding, cut into chunks of at most {@code max} bytes. */
  private static byte[] chunked(byte[] body, int max, boolean withExtension) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < body.length; i += max) {
      int n = Math.min(max, body.length - i);
      out.writeBytes(ascii(Integer.toHexString(n) + (withExtension ? ";x=y" : "") + "\r\n"));
      out.write(body, i, n);
      out.writeBytes(ascii("\r\n"));
    }
    return out.toByteArray();
  }

  /** Feeds {@code wire} to {@code decoder} one piece at a time, cut at every {@code step} bytes. */
  private static List<String> decode(SseDecoder decoder, byte[] wire, int step) {
    List<String> events = new ArrayList<>();
    for (int i = 0; i < wire.length; i += step) {
      decoder.feed(
          wire.clone(),
          i,
          Math.min(step, wire.length - i),
          (buf, off, len) -> events.add(new String(buf, off, len, StandardCharsets.UTF_8)));
    }
    return events;
  }

  private static final String STREAM =
      ": keepalive\n\n"
          + "data: {\"a\":1}\n\n"
          + "event: tick\nid: 7\ndata: first\ndata:second\n\n"
          + "retry: 3000\n\n" // no data: no event
          + "data: crlf\r\n\r\n"
          + "data: cr\r\r"
          + "data\n\n" // a field name alone: empty data
          + "data: unfinished";

  private static final List<String> EVENTS =
      List.of("{\"a\":1}", "first\nsecond", "crlf", "cr", "");

  @Test
  void decodesEventsWhateverTheReadBoundaries() {
    for (int step : new int[] {1, 2, 3, 7, 1000}) {
      SseDecoder decoder = new SseDecoder(false);
      assertThat(decode(decoder, ascii(STREAM), step)).as("step %d", step).isEqualTo(EVENTS);
      assertThat(decoder.events()).isEqualTo(EVENTS.size());
      assertThat(decoder.comments()).isEqualTo(1);
    }
  }

  @Test
  void decodesTheChunkedTransferCodingSplitAnywhere() {
    for (boolean extension : new boolean[] {false, true}) {
      byte[] wire = chunked(ascii(STREAM), 5, extension);
      for (int step : new int[] {1, 4, 9, 1000}) {
        SseDecoder decoder = new SseDecoder(true);
        assertThat(decode(decoder, wire, step)).as("step %d", step).isEqualTo(EVENTS);
        assertThat(decoder.ended()).isFalse();
      }
    }
  }

  @Test
  void theLastChunkEndsTheStreamAndBadChunksAreRefused() {
    SseDecoder decoder = new SseDecoder(true);
    byte[] wire = ascii("9\r\ndata: x\n\n\r\n0\r\n\r\n");
    assertThat(decode(decoder, wire, 2)).containsExactly("x");
    assertThat(decoder.ended()).isTrue();

    assertThatThrownBy(() -> decode(new SseDecoder(true), ascii("zz\r\n"), 10))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("chunk size line");
    assertThatThrownBy(() -> decode(new SseDecoder(true), ascii("1\r\nab\r\n"), 10))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not followed by CRLF");
  }

  @Test
  void responseHeadMustBeA200EventStreamWithoutLength() throws IOException {
    assertThat(
            SseLoadClient.checkHead(
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream;charset=utf-8\r\n"
                    + "Transfer-Encoding: chunked"))
        .isTrue();
    assertThat(SseLoadClient.checkHead("HTTP/1.1 200 OK\r\ncontent-type: Text/Event-Stream"))
        .isFalse();
    assertThatThrownBy(() -> SseLoadClient.checkHead("HTTP/1.1 404 Not Found"))
        .hasMessageContaining("refused: HTTP/1.1 404");
    assertThatThrownBy(() -> SseLoadClient.checkHead("HTTP/1.1 200 OK\r\nContent-Type: text/plain"))
        .hasMessageContaining("not an event stream");
    assertThatThrownBy(
            () ->
                SseLoadClient.checkHead(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 5"))
        .hasMessageContaining("Content-Length");
  }

  @Test
  void sseHandlerCountsEachEventAsOneDelivery() {
    BroadcastLoad load = new BroadcastLoad(3, 1, 2, 0);
    byte[] event = new byte[Payloads.SIZE];
    Payloads.write(event, Payloads.SIZE, "broadcast", 3, 0, 0, 500);
    SseLoadClient.Handler h = load.sseHandler();
    h.onEvent(null, event, 0, event.length, 1_000_500);
    byte[] foreign = ascii("{\"type\":\"flush\"}");
    h.onEvent(null, foreign, 0, foreign.length, 1_000_500);
    h.onEvent(null, event, 0, event.length, 4_000_500); // second stream: complete after 4 ms

    BroadcastLoad.Result r = load.tally(1.0);
    assertThat(r.delivered()).isEqualTo(2);
    assertThat(r.lostDeliveries()).isZero();
    assertThat(r.incomplete()).isZero();
    assertThat(r.max()).isBetween(3_990_000L, 4_010_000L);
  }
}
