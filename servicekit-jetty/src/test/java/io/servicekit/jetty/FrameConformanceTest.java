package io.servicekit.jetty;

import static io.servicekit.jetty.ConformanceServer.LIMIT;
import static io.servicekit.jetty.ConformanceServer.assertClosedWith;
import static io.servicekit.jetty.ConformanceServer.assertServerClosedOnce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.CloseStatus;
import io.servicekit.jetty.ConformanceServer.Opened;
import io.servicekit.testkit.RawFrame;
import io.servicekit.testkit.RawWsClient;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Server-side framing (RFC 6455 §5, §7.4, §8.1) on the raw echo endpoint: every violation ends in a
 * close frame with the right code, the TCP connection ends, and the server-side connection runs
 * {@code onClose} exactly once; every legal but unusual input is echoed intact.
 */
class FrameConformanceTest {
  private static ConformanceServer server;

  @BeforeAll
  static void start() throws Exception {
    server = ConformanceServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static Opened echo() {
    return server.open("/echo");
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] filled(int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) ('a' + i % 26);
    }
    return b;
  }

  /** The echo endpoint still works for another client (the server did not fall over). */
  private static void serverStillEchoes() {
    try (Opened o = echo()) {
      o.client().sendText("still here");
      assertThat(o.client().awaitText()).isEqualTo("still here");
    }
  }

  // ------------------------------------------------------------------ framing errors -> 1002

  @Test
  void anUnmaskedClientFrameClosesWith1002() {
    try (Opened o = echo()) {
      o.client().send(RawFrame.text("naked").unmasked());
      assertClosedWith(o, 1002);
    }
  }

  @ParameterizedTest(name = "rsv {0}")
  @ValueSource(ints = {RawFrame.RSV1, RawFrame.RSV2, RawFrame.RSV3, 7})
  void rsvBitsWithoutANegotiatedExtensionCloseWith1002(int rsv) {
    try (Opened o = echo()) {
      o.client().send(RawFrame.text("rsv").rsv(rsv));
      assertClosedWith(o, 1002);
    }
  }

  @ParameterizedTest(name = "opcode {0}")
  @ValueSource(ints = {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF})
  void aReservedOpcodeClosesWith1002(int opcode) {
    try (Opened o = echo()) {
      o.client().send(RawFrame.of(opcode, utf8("reserved")));
      assertClosedWith(o, 1002);
    }
  }

  @ParameterizedTest(name = "opcode {0}")
  @ValueSource(ints = {RawFrame.PING, RawFrame.PONG, RawFrame.CLOSE})
  void aControlFrameLongerThan125BytesClosesWith1002(int opcode) {
    try (Opened o = echo()) {
      byte[] payload = filled(126);
      if (opcode == RawFrame.CLOSE) {
        payload[0] = 0x03; // code 1000, then 124 bytes of reason
        payload[1] = (byte) 0xE8;
      }
      o.client().send(RawFrame.of(opcode, payload));
      assertClosedWith(o, 1002);
    }
  }

  @ParameterizedTest(name = "opcode {0}")
  @ValueSource(ints = {RawFrame.PING, RawFrame.PONG, RawFrame.CLOSE})
  void aFragmentedControlFrameClosesWith1002(int opcode) {
    try (Opened o = echo()) {
      o.client().send(RawFrame.of(opcode, new byte[] {0x03, (byte) 0xE8}).fin(false));
      assertClosedWith(o, 1002);
    }
  }

  @Test
  void aContinuationWithoutAStartClosesWith1002() {
    try (Opened o = echo()) {
      o.client().send(RawFrame.continuation(utf8("orphan")));
      assertClosedWith(o, 1002);
    }
  }

  @Test
  void aNonFinalContinuationWithoutAStartClosesWith1002() {
    try (Opened o = echo()) {
      o.client().send(RawFrame.continuation(utf8("orphan")).fin(false));
      assertClosedWith(o, 1002);
    }
  }

  @ParameterizedTest(name = "opcode {0}")
  @ValueSource(ints = {RawFrame.TEXT, RawFrame.BINARY})
  void aNewDataFrameWhileAFragmentedMessageIsOpenClosesWith1002(int opcode) {
    try (Opened o = echo()) {
      o.client().send(RawFrame.text("first half").fin(false), RawFrame.of(opcode, utf8("new")));
      assertClosedWith(o, 1002);
    }
  }

  /**
   * A 64-bit length with the most significant bit set is forbidden by RFC 6455 §5.2 (a protocol
   * error, 1002). Jetty checks the length against its frame limit first and closes with 1009
   * (message too big). Accepted: the close is prompt and well-formed, and 1009 is a true statement
   * about a frame that declares more than 2^63 bytes; what must never happen is a hang or a 1006.
   */
  @Test
  void a64BitLengthWithTheMostSignificantBitSetClosesWith1009() {
    try (Opened o = echo()) {
      o.client().send(RawFrame.binary(new byte[8]).declaredLength(Long.MIN_VALUE | 8));
      assertClosedWith(o, 1009);
    }
  }

  @Test
  void aDeclaredLengthBeyondTheLimitIsRefusedBeforeThePayloadArrives() {
    try (Opened o = echo()) {
      // Only the header: a server that waited for 2^40 bytes before judging would hang here.
      byte[] header =
          Arrays.copyOf(RawFrame.binary(new byte[0]).declaredLength(1L << 40).encode(), 14);
      o.client().write(header);
      assertClosedWith(o, 1009);
    }
  }

  // ------------------------------------------------------------------ legal oddities are echoed

  @Test
  void aPingInterleavedInAFragmentedMessageIsAnsweredAndTheMessageEchoedWhole() {
    try (Opened o = echo()) {
      o.client()
          .send(
              RawFrame.text("Hel").fin(false),
              RawFrame.ping(utf8("mid")),
              RawFrame.continuation(utf8("lo, ")).fin(false),
              RawFrame.pong(utf8("unsolicited")),
              RawFrame.continuation(utf8("world")));
      RawFrame pong = o.client().readFrame();
      assertThat(pong.opcode()).isEqualTo(RawFrame.PONG);
      assertThat(pong.text()).isEqualTo("mid");
      assertThat(o.client().awaitText()).isEqualTo("Hello, world");
    }
  }

  @ParameterizedTest(name = "length form {0}")
  @ValueSource(strings = {"BITS_16", "BITS_64"})
  void nonMinimalLengthEncodingsAreAcceptedLeniently(String form) {
    try (Opened o = echo()) {
      o.client().send(RawFrame.text("short").length(RawFrame.Length.valueOf(form)));
      assertThat(o.client().awaitText()).isEqualTo("short");
    }
  }

  @Test
  void zeroLengthTextAndBinaryMessagesAreEchoed() {
    try (Opened o = echo()) {
      o.client().send(RawFrame.text(""));
      RawWsClient.Message text = o.client().awaitMessage();
      assertThat(text.opcode()).isEqualTo(RawFrame.TEXT);
      assertThat(text.payload()).isEmpty();
      o.client().send(RawFrame.binary(new byte[0]));
      RawWsClient.Message binary = o.client().awaitMessage();
      assertThat(binary.opcode()).isEqualTo(RawFrame.BINARY);
      assertThat(binary.payload()).isEmpty();
      // An empty message in empty fragments.
      o.client().send(RawFrame.text("").fin(false), RawFrame.continuation(new byte[0]));
      assertThat(o.client().awaitText()).isEmpty();
    }
  }

  @Test
  void oneBytePerTcpWriteIsReassembledAndEchoed() {
    try (Opened o = echo()) {
      String text = "trickle ".repeat(25);
      byte[] wire =
          RawFrame.encodeAll(
              RawFrame.text(text.substring(0, 100)).fin(false),
              RawFrame.ping(utf8("p")),
              RawFrame.continuation(utf8(text.substring(100))));
      o.client().writeInChunks(wire, 1);
      assertThat(o.client().awaitText()).isEqualTo(text);
    }
  }

  @Test
  void seventeenThousandOneByteFragmentsAreEchoedAsOneMessage() {
    int n = 17_000;
    assertThat(n).isLessThan(LIMIT);
    try (Opened o = echo()) {
      RawFrame[] frames = new RawFrame[n];
      byte[] expected = new byte[n];
      for (int i = 0; i < n; i++) {
        expected[i] = (byte) i;
        byte[] one = {(byte) i};
        frames[i] = (i == 0 ? RawFrame.binary(one) : RawFrame.continuation(one)).fin(i == n - 1);
      }
      o.client().send(frames);
      assertThat(o.client().awaitBinary()).isEqualTo(expected);
    }
  }

  @Test
  void aThousandPingsInOneBurstAreAllAnsweredInOrder() {
    int n = 1000;
    try (Opened o = echo()) {
      RawFrame[] pings = new RawFrame[n];
      for (int i = 0; i < n; i++) {
        pings[i] = RawFrame.ping(ByteBuffer.allocate(4).putInt(i).array());
      }
      o.client().send(pings);
      for (int i = 0; i < n; i++) {
        RawFrame pong = o.client().readFrame();
        assertThat(pong.opcode()).as("frame %d", i).isEqualTo(RawFrame.PONG);
        assertThat(ByteBuffer.wrap(pong.payload()).getInt()).as("pong %d", i).isEqualTo(i);
      }
      o.client().sendText("after the flood");
      assertThat(o.client().awaitText()).isEqualTo("after the flood");
      assertThat(o.conn().log().count()).isZero();
    }
  }

  /**
   * A client that floods pings and never reads the pongs must be slowed down by TCP, not buffered
   * in the server: the server reads the next frame only once the pong of the previous ping is
   * written, so when the pongs back up it stops reading and the flooder's writes block.
   *
   * <p>The server here has a fixed 16 KiB socket send buffer and the client a 4 KiB receive buffer,
   * so at most a few tens of KiB of 12-byte pongs can leave the server; a throttled server has then
   * read at most a few thousand 16-byte pings. (Before the fix the server read every ping and
   * queued the pongs without bound: 31 MB of pings grew the heap by about 600 MB.)
   */
  @Test
  void aPingFloodFromAClientThatNeverReadsIsThrottledByTcpNotBuffered() throws Exception {
    long budget = 32L << 20; // never reached when throttled
    try (ConformanceServer small = ConformanceServer.startWithSendBuffer(16 * 1024)) {
      String id = ConformanceServer.newId();
      RawWsClient.Upgrade upgrade = RawWsClient.Upgrade.to(small.uri("/echo?id=" + id));
      try (RawWsClient flooder =
          RawWsClient.builder(small.uri("/echo")).receiveBufferSize(4096).connect()) {
        flooder.upgrade(upgrade).assertSwitched(upgrade.key());
        RawFrame[] batch = new RawFrame[4096];
        Arrays.fill(batch, RawFrame.ping(new byte[10]).maskKey(new byte[] {1, 2, 3, 4}));
        byte[] wire = RawFrame.encodeAll(batch);
        AtomicLong written = new AtomicLong();
        Thread writer =
            Thread.ofVirtual()
                .start(
                    () -> {
                      try {
                        while (written.get() < budget) {
                          flooder.write(wire);
                          written.addAndGet(wire.length);
                        }
                      } catch (UncheckedIOException e) {
                        // the socket is reset at the end of the test
                      }
                    });
        // Wait until the server has stopped reading (three polls a second apart see the same
        // count) or the flooder is done. Unthrottled, the server reads on until the budget.
        long[] last = {-1, 0};
        await()
            .pollInterval(Duration.ofSeconds(1))
            .atMost(Duration.ofSeconds(90))
            .until(
                () -> {
                  long read = small.bytesReadFrom(flooder.socket());
                  last[1] = read == last[0] ? last[1] + 1 : 0;
                  last[0] = read;
                  return last[1] >= 2 || !writer.isAlive();
                });
        assertThat(small.bytesReadFrom(flooder.socket()))
            .as("bytes of pings the server read (%d written)", written.get())
            .isLessThan(1L << 20);
        assertThat(writer.isAlive()).as("the flooder is blocked, not done").isTrue();
        flooder.reset();
        writer.join(Duration.ofSeconds(10));
        ConformanceServer.CloseLog log = small.conn(id).log();
        await().atMost(Duration.ofSeconds(10)).until(() -> log.count() > 0);
        assertThat(log.count()).isEqualTo(1);
      }
    }
    serverStillEchoes();
  }

  // ------------------------------------------------------------------ UTF-8 -> 1007

  @Test
  void invalidUtf8InOneTextFrameClosesWith1007() {
    try (Opened o = echo()) {
      o.client().send(RawFrame.text(new byte[] {'o', 'k', (byte) 0xC3, 0x28}));
      assertClosedWith(o, 1007);
    }
  }

  @Test
  void invalidUtf8SplitAcrossFragmentsClosesWith1007() {
    try (Opened o = echo()) {
      // A valid lead byte of a 3-byte sequence, then a byte that cannot continue it.
      o.client()
          .send(
              RawFrame.text(new byte[] {'a', (byte) 0xE2, (byte) 0x82}).fin(false),
              RawFrame.continuation(new byte[] {'b'}));
      assertClosedWith(o, 1007);
    }
  }

  /**
   * RFC 6455 §8.1 wants the connection failed as soon as invalid UTF-8 is seen. Jetty's
   * whole-message text sink checks the bytes when the message completes, so an invalid first
   * fragment is only refused with its final fragment (Autobahn calls this "non-strict", not a
   * failure). The message size limit bounds what a client can make the server buffer meanwhile.
   */
  @Test
  void invalidUtf8InAFirstFragmentClosesWith1007WhenTheMessageEnds() {
    try (Opened o = echo()) {
      // 0xFF can never appear in UTF-8.
      o.client()
          .send(
              RawFrame.text(new byte[] {'a', (byte) 0xFF, 'b'}).fin(false),
              RawFrame.continuation(utf8("valid tail")));
      assertClosedWith(o, 1007);
    }
  }

  @Test
  void aSurrogateEncodedInUtf8ClosesWith1007() {
    try (Opened o = echo()) {
      o.client().send(RawFrame.text(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}));
      assertClosedWith(o, 1007);
    }
  }

  @Test
  void validMultiByteUtf8SplitMidCharacterAcrossFragmentsIsEchoed() {
    try (Opened o = echo()) {
      byte[] euro = utf8("€"); // E2 82 AC
      o.client()
          .send(
              RawFrame.text(new byte[] {euro[0]}).fin(false),
              RawFrame.continuation(new byte[] {euro[1]}).fin(false),
              RawFrame.continuation(new byte[] {euro[2]}));
      assertThat(o.client().awaitText()).isEqualTo("€");
    }
  }

  // ------------------------------------------------------------------ close frames

  @Test
  void aCloseFrameWithAOneBytePayloadClosesWith1002() {
    try (Opened o = echo()) {
      o.client().send(RawFrame.closePayload(new byte[] {0x03}));
      assertClosedWith(o, 1002);
    }
  }

  @ParameterizedTest(name = "code {0}")
  @ValueSource(ints = {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
  void aCloseFrameWithAnInvalidCodeClosesWith1002(int code) {
    try (Opened o = echo()) {
      o.client().sendClose(code, "");
      assertClosedWith(o, 1002);
    }
  }

  @ParameterizedTest(name = "code {0}")
  @ValueSource(
      ints = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999})
  void aCloseFrameWithAValidCodeIsEchoedAndReachesOnClose(int code) {
    try (Opened o = echo()) {
      o.client().sendClose(code, "bye");
      CloseStatus server = assertClosedWith(o, code);
      assertThat(server.code()).isEqualTo(code);
      assertThat(server.reason()).isEqualTo("bye");
    }
  }

  @Test
  void anEmptyCloseFrameIsAnsweredAndReportedAsNoStatus() {
    try (Opened o = echo()) {
      o.client().send(RawFrame.closePayload(new byte[0]));
      // Jetty answers with an empty close frame too, which reads as 1005 (RFC 6455 §7.1.5).
      assertClosedWith(o, 1005);
    }
  }

  @Test
  void invalidUtf8InACloseReasonClosesWith1007() {
    try (Opened o = echo()) {
      o.client().send(RawFrame.closePayload(new byte[] {0x03, (byte) 0xE8, 'o', (byte) 0xFF}));
      assertClosedWith(o, 1007);
    }
  }

  @Test
  void dataAfterTheClientsCloseFrameIsIgnored() {
    try (Opened o = echo()) {
      o.client().send(RawFrame.close(1000, "done"), RawFrame.text("too late"));
      RawFrame first = o.client().readFrame();
      assertThat(first.isClose()).as("first frame back is %s", first).isTrue();
      assertThat(first.closeCode()).isEqualTo(1000);
      assertThat(assertServerClosedOnce(o).code()).isEqualTo(1000);
    }
  }

  @Test
  void aTcpResetMidFrameEndsTheConnectionWith1006() {
    try (Opened o = echo()) {
      byte[] frame = RawFrame.text("cut short").encode();
      o.client().write(Arrays.copyOf(frame, 6));
      o.client().reset();
      ConformanceServer.CloseLog log = o.conn().log();
      await().atMost(Duration.ofSeconds(10)).until(() -> log.count() > 0);
      assertThat(log.count()).isEqualTo(1);
      assertThat(log.status().code()).isEqualTo(1006);
    }
    serverStillEchoes();
  }

  @Test
  void halfAFrameThenSilenceEndsWithTheHeartbeatTimeout() {
    try (Opened o = server.open("/idle")) {
      byte[] frame = RawFrame.text("never finished").encode();
      o.client().write(Arrays.copyOf(frame, 5));
      CloseStatus server = assertClosedWith(o, 1001);
      assertThat(server.reason()).contains("heartbeat timeout");
    }
  }

  @Test
  void aClientThatIgnoresJsonPingsIsClosedWith1001AfterThePongWindow() {
    try (Opened o = server.open("/idle")) {
      // The client reads the JSON heartbeats but never answers them.
      int pings = 0;
      RawFrame f;
      while (!(f = o.client().readFrame()).isClose()) {
        assertThat(f.opcode()).isEqualTo(RawFrame.TEXT);
        assertThat(f.text()).contains("\"type\":\"ping\"");
        pings++;
      }
      assertThat(pings).isPositive();
      assertThat(f.closeCode()).isEqualTo(1001);
      assertThat(f.closeReason()).contains("heartbeat timeout");
      o.client().sendClose(1001, "");
      CloseStatus status = assertServerClosedOnce(o);
      assertThat(status.code()).isEqualTo(1001);
    }
  }

  // ------------------------------------------------------------------ size limit -> 1009

  @Test
  void aOneFrameMessageOfExactlyTheLimitIsEchoed() {
    try (Opened o = echo()) {
      byte[] payload = filled(LIMIT);
      o.client().sendBinary(payload);
      assertThat(o.client().awaitBinary()).isEqualTo(payload);
      o.client().send(RawFrame.text(payload));
      assertThat(o.client().awaitText()).isEqualTo(new String(payload, StandardCharsets.UTF_8));
    }
  }

  @ParameterizedTest(name = "opcode {0}")
  @ValueSource(ints = {RawFrame.TEXT, RawFrame.BINARY})
  void aOneFrameMessageOfTheLimitPlusOneClosesWith1009(int opcode) {
    try (Opened o = echo()) {
      o.client().send(RawFrame.of(opcode, filled(LIMIT + 1)));
      assertClosedWith(o, 1009);
    }
  }

  @Test
  void aFragmentedMessageOfExactlyTheLimitIsEchoed() {
    try (Opened o = echo()) {
      byte[] payload = filled(LIMIT);
      int half = LIMIT / 2;
      o.client()
          .send(
              RawFrame.binary(Arrays.copyOf(payload, half)).fin(false),
              RawFrame.continuation(Arrays.copyOfRange(payload, half, LIMIT)));
      assertThat(o.client().awaitBinary()).isEqualTo(payload);
    }
  }

  @ParameterizedTest(name = "opcode {0}")
  @ValueSource(ints = {RawFrame.TEXT, RawFrame.BINARY})
  void aFragmentedMessageOfTheLimitPlusOneClosesWith1009(int opcode) {
    try (Opened o = echo()) {
      ByteArrayOutputStream wire = new ByteArrayOutputStream();
      int chunk = 8 * 1024;
      byte[] payload = filled(LIMIT + 1);
      for (int off = 0; off < payload.length; off += chunk) {
        byte[] part = Arrays.copyOfRange(payload, off, Math.min(payload.length, off + chunk));
        RawFrame f = off == 0 ? RawFrame.of(opcode, part) : RawFrame.continuation(part);
        wire.writeBytes(f.fin(off + chunk >= payload.length).encode());
      }
      o.client().write(wire.toByteArray());
      assertClosedWith(o, 1009);
    }
  }
}
