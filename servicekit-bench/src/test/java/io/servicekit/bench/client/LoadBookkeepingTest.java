package io.servicekit.bench.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadBookkeepingTest {
  /** Server frames (unmasked), as a server would write them. */
  private static byte[] frame(int firstByte, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(firstByte);
    if (payload.length < 126) {
      out.write(payload.length);
    } else {
      out.write(126);
      out.write(payload.length >> 8);
      out.write(payload.length & 0xff);
    }
    out.writeBytes(payload);
    return out.toByteArray();
  }

  private static byte[] message(String type, int run, int conn, int seq, long time) {
    byte[] buf = new byte[Payloads.SIZE];
    Payloads.write(buf, Payloads.SIZE, type, run, conn, seq, time);
    return buf;
  }

  @Test
  void decoderJoinsFramesSplitAcrossReadsAndFragmentedMessages() {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    wire.writeBytes(frame(0x81, message("echo", 1, 0, 0, 5)));
    wire.writeBytes(frame(0x01, "{\"a\":".getBytes())); // text, not final
    wire.writeBytes(frame(0x89, new byte[] {7})); // ping in between
    wire.writeBytes(frame(0x80, "1}".getBytes())); // final continuation
    wire.writeBytes(frame(0x81, message("echo", 1, 0, 1, 6)));
    byte[] bytes = wire.toByteArray();

    List<String> messages = new ArrayList<>();
    List<Integer> controls = new ArrayList<>();
    FrameDecoder decoder = new FrameDecoder();
    FrameDecoder.Sink sink =
        new FrameDecoder.Sink() {
          @Override
          public void message(int opcode, byte[] buf, int off, int len) {
            messages.add(new String(buf, off, len));
          }

          @Override
          public void control(int opcode, byte[] buf, int off, int len) {
            controls.add(opcode);
          }
        };
    // Feed in awkward pieces: 1 byte, then 3, then 150, then the rest.
    int[] cuts = {1, 4, 154, bytes.length};
    int from = 0;
    for (int cut : cuts) {
      decoder.feed(bytes.clone(), from, cut - from, sink);
      from = cut;
    }
    assertThat(messages).hasSize(3);
    assertThat(messages.get(1)).isEqualTo("{\"a\":1}");
    assertThat(messages.get(0)).hasSize(200).contains("\"s\":0,");
    assertThat(messages.get(2)).contains("\"s\":1,");
    assertThat(controls).containsExactly(9);
    assertThat(decoder.pendingBytes()).isZero();
  }

  @Test
  void echoCountsEachMessageOnceAndMeasuresFromTheIntendedSendTime() {
    long base = 1_000_000_000L;
    EchoLoad load = new EchoLoad(7, 2, base);
    byte[] first = message("echo", 7, 0, 0, 1_000); // meant to leave at base + 1 µs
    byte[] second = message("echo", 7, 1, 0, 2_000);
    byte[] otherRun = message("echo", 6, 0, 1, 0);
    byte[] badConn = message("echo", 7, 5, 0, 0);
    load.onMessage(first, 0, first.length, base + 1_000 + 3_000_000); // 3 ms RTT
    load.onMessage(first, 0, first.length, base + 1_000 + 9_000_000); // a duplicate
    load.onMessage(second, 0, second.length, base + 2_000 + 5_000_000); // 5 ms RTT
    load.onMessage(otherRun, 0, otherRun.length, base);
    load.onMessage(badConn, 0, badConn.length, base);

    EchoLoad.Result r = load.tally(3, 0, 0, 1.0);
    assertThat(r.received()).isEqualTo(2);
    assertThat(r.lost()).isEqualTo(1);
    assertThat(r.duplicates()).isEqualTo(1);
    assertThat(r.foreign()).isEqualTo(2);
    assertThat(r.max()).isBetween(4_990_000L, 5_010_000L);
    assertThat(r.p50()).isBetween(2_990_000L, 3_010_000L);
  }

  @Test
  void broadcastCompletesWhenEveryReaderHasACopy() {
    long base = 0;
    BroadcastLoad load = new BroadcastLoad(4, 2, 3, base);
    byte[] b0 = message("broadcast", 4, 0, 0, 100);
    byte[] b1 = message("broadcast", 4, 0, 1, 200);
    byte[] other = message("broadcast", 5, 0, 0, 0);
    load.onMessage(b0, 0, b0.length, 1_000_100);
    load.onMessage(b0, 0, b0.length, 2_000_100);
    load.onMessage(b1, 0, b1.length, 2_000_200);
    load.onMessage(b0, 0, b0.length, 7_000_100); // third reader: complete after 7 ms
    load.onMessage(other, 0, other.length, 7_000_100);

    BroadcastLoad.Result r = load.tally(1.0);
    assertThat(r.expectedDeliveries()).isEqualTo(6);
    assertThat(r.delivered()).isEqualTo(4);
    assertThat(r.lostDeliveries()).isEqualTo(2);
    assertThat(r.incomplete()).isEqualTo(1);
    assertThat(r.max()).isBetween(6_990_000L, 7_010_000L);
  }
}
