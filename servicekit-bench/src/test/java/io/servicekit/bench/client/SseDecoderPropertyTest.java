package io.servicekit.bench.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.props.Gens;
import io.servicekit.props.Prop;
import io.servicekit.props.SseGen;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Properties of the load client's {@link SseDecoder} (the chunked transfer coding in front of the
 * library's {@code SseParser}), on inputs from a fixed seed.
 */
class SseDecoderPropertyTest {
  /** The data of every event {@code chunks} decode to, as text; or the error. */
  static List<String> decode(boolean chunked, List<byte[]> chunks) {
    List<String> out = new ArrayList<>();
    SseDecoder decoder = new SseDecoder(chunked);
    try {
      for (byte[] c : chunks) {
        decoder.feed(
            c,
            0,
            c.length,
            (buf, off, len) -> out.add(new String(buf, off, len, StandardCharsets.UTF_8)));
      }
    } catch (IllegalStateException e) {
      out.add("error: " + e.getMessage()); // the documented chunk-header error only
    }
    assertThat(decoder.events())
        .isEqualTo(out.stream().filter(s -> !s.startsWith("error: ")).count());
    return out;
  }

  /**
   * {@code body} in the HTTP/1.1 chunked transfer coding, with random chunk sizes and extensions.
   */
  static byte[] chunkedCoding(SplittableRandom r, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = 0;
    while (at < body.length) {
      int n = 1 + r.nextInt(Math.min(body.length - at, 40));
      String size = Integer.toHexString(n);
      out.writeBytes(
          (r.nextBoolean() ? size : size.toUpperCase()).getBytes(StandardCharsets.US_ASCII));
      if (r.nextInt(4) == 0) {
        out.writeBytes(";ext=1".getBytes(StandardCharsets.US_ASCII));
      }
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      out.write(body, at, n);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      at += n;
    }
    out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  /**
   * Round trip: a stream written by {@code SseFormat} (events with any name, id, retry and data
   * with CR/LF/CRLF, comments, keepalives, retry hints) decodes to the data of each event in order
   * (line breaks as LF), in any chunking, with and without the chunked transfer coding (random
   * chunk sizes, extensions, hex case). 300 tries.
   */
  @Test
  void formatThenDecodeGivesTheSameData() {
    Prop.forAll(
        "SseDecoder decode(format(events)) == data",
        0xBE0C0001L,
        300,
        (r, size) -> {
          List<SseGen.Item> items = SseGen.stream(r, size);
          byte[] plain = SseGen.bytes(items);
          byte[] coded = chunkedCoding(r, plain);
          return new Object[] {
            items,
            Gens.chunks(plain, Gens.cuts(r, plain.length)),
            Gens.chunks(coded, Gens.cuts(r, coded.length))
          };
        },
        a -> {
          @SuppressWarnings("unchecked")
          List<SseGen.Item> items = (List<SseGen.Item>) a[0];
          List<String> expected = new ArrayList<>();
          for (SseGen.Item item : items) {
            if (item instanceof SseGen.Event e) {
              expected.add(e.parsedData());
            }
          }
          @SuppressWarnings("unchecked")
          List<byte[]> plain = (List<byte[]>) a[1];
          @SuppressWarnings("unchecked")
          List<byte[]> coded = (List<byte[]>) a[2];
          assertThat(decode(false, plain)).containsExactlyElementsOf(expected);
          assertThat(decode(true, coded)).containsExactlyElementsOf(expected);
        });
  }

  /**
   * Chunk-boundary independence: any bytes (SSE token soup, mutated streams, random), fed in any
   * chunks, decode to the same data as fed whole, and the same again when sent in the chunked
   * transfer coding; a corrupted chunked body fails only with the documented {@link
   * IllegalStateException}, the same in any chunking. 1500 tries.
   */
  @Test
  void chunkingDoesNotChangeTheResult() {
    Prop.forAll(
        "SseDecoder chunked == whole",
        0xBE0C0002L,
        1500,
        (r, size) -> {
          byte[] bytes = SseGen.soup(r, size);
          byte[] coded = chunkedCoding(r, bytes);
          byte[] corrupt = coded.clone();
          if (corrupt.length > 0) {
            corrupt[r.nextInt(corrupt.length)] = (byte) r.nextInt(256);
          }
          return new Object[] {
            bytes, Gens.cuts(r, bytes.length), coded, Gens.cuts(r, coded.length), corrupt
          };
        },
        a -> {
          byte[] bytes = (byte[]) a[0];
          byte[] coded = (byte[]) a[2];
          byte[] corrupt = (byte[]) a[4];
          List<String> whole = decode(false, List.of(bytes));
          assertThat(decode(false, Gens.chunks(bytes, (int[]) a[1]))).isEqualTo(whole);
          assertThat(decode(true, Gens.chunks(coded, (int[]) a[3]))).isEqualTo(whole);
          assertThat(decode(true, Gens.chunks(corrupt, (int[]) a[3])))
              .isEqualTo(decode(true, List.of(corrupt)));
        });
  }
}
