package io.servicekit.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Int64Value;
import com.google.protobuf.StringValue;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.servicekit.CloseStatus;
import io.servicekit.DecodeException;
import io.servicekit.Message;
import io.servicekit.MessageRejectedException;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.TestWsClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The protobuf codecs and the envelope codec (upstream §13.1). */
class CodecTest {
  private static final Timestamp T = Timestamp.newBuilder().setSeconds(1234567890).build();

  @Test
  void typeConstantsAreTheGoLibrarys() {
    assertThat(
            List.of(
                Envelope.DATA,
                Envelope.ERROR,
                Envelope.STREAM_END,
                Envelope.PING,
                Envelope.PONG,
                Envelope.CANCEL,
                Envelope.END_SEND))
        .containsExactly("data", "error", "stream_end", "ping", "pong", "cancel", "end_send");
  }

  @Test
  void encodesTypeFirstAndOmitsEmptyFields() {
    EnvelopeCodec codec = EnvelopeCodec.INSTANCE;
    assertThat(codec.encode(Envelope.data("{\"seconds\":\"1\"}")))
        .isEqualTo(Message.text("{\"type\":\"data\",\"data\":{\"seconds\":\"1\"}}"));
    assertThat(codec.encode(Envelope.error("boom \"x\"")))
        .isEqualTo(Message.text("{\"type\":\"error\",\"error\":\"boom \\\"x\\\"\"}"));
    assertThat(codec.encode(Envelope.error(""))).isEqualTo(Message.text("{\"type\":\"error\"}"));
    assertThat(codec.encode(Envelope.streamEnd()))
        .isEqualTo(Message.text("{\"type\":\"stream_end\"}"));
    assertThat(codec.encode(Envelope.ping(123)))
        .isEqualTo(Message.text("{\"type\":\"ping\",\"pingId\":123}"));
    assertThatThrownBy(() -> Envelope.of("")).hasMessageContaining("type must not be empty");
  }

  @Test
  void decodesEveryClientMessage() {
    EnvelopeCodec codec = EnvelopeCodec.INSTANCE;
    Envelope d =
        codec.decode(Message.text("{\"type\":\"data\",\"data\":{\"seconds\":1234567890}}"));
    assertThat(d.type()).isEqualTo("data");
    assertThat(d.data()).isEqualTo("{\"seconds\":1234567890}");
    assertThat(codec.decode(Message.text("{\"type\":\"ping\",\"pingId\":42}")).pingId())
        .isEqualTo(42);
    assertThat(codec.decode(Message.text("{\"type\":\"pong\",\"pingId\":42}")).pingId())
        .isEqualTo(42);
    assertThat(codec.decode(Message.text("{\"type\":\"cancel\"}")).type()).isEqualTo("cancel");
    assertThat(codec.decode(Message.text("{\"type\":\"end_send\",\"extra\":1}")).type())
        .isEqualTo("end_send");
    assertThat(codec.decode(Message.text("{\"type\":\"error\",\"error\":\"e\"}")).error())
        .isEqualTo("e");
    // 64-bit values survive verbatim (upstream lost precision above 2^53)
    assertThat(
            codec
                .decode(Message.text("{\"type\":\"data\",\"data\":{\"value\":9007199254740993}}"))
                .data())
        .isEqualTo("{\"value\":9007199254740993}");
    assertThatThrownBy(() -> codec.decode(Message.text("{bad")))
        .isInstanceOf(MessageRejectedException.class)
        .hasMessageStartingWith("invalid envelope: not JSON");
    assertThatThrownBy(() -> codec.decode(Message.text("{\"type\":\"ping\",\"pingId\":\"x\"}")))
        .hasMessageContaining("\"pingId\" must be an integer");
    assertThatThrownBy(() -> codec.decode(Message.text("{\"type\":1}")))
        .hasMessageContaining("\"type\" must be a non-empty string, got number 1");
  }

  /**
   * Found by EnvelopeCodecPropertyTest: a number with an exponent beyond BigDecimal's range threw
   * NumberFormatException out of decode, so the bridge closed the session instead of answering an
   * error envelope.
   */
  @Test
  void numberBeyondBigDecimalRangeIsRejected() {
    for (String json :
        List.of(
            "{\"type\":\"data\",\"data\":8e3026596450}",
            "{\"type\":\"data\",\"data\":{\"x\":[-1E-3000000000]}}",
            "{\"type\":\"ping\",\"pingId\":9e9999999999}")) {
      assertThatThrownBy(() -> EnvelopeCodec.INSTANCE.decode(Message.text(json)))
          .as(json)
          .isInstanceOf(MessageRejectedException.class)
          .hasMessageStartingWith("invalid envelope: not JSON: number out of range: ");
    }
    // big but representable exponents are kept exactly
    assertThat(
            EnvelopeCodec.INSTANCE
                .decode(Message.text("{\"type\":\"data\",\"data\":[1e999999999]}"))
                .data())
        .isEqualTo("[1E+999999999]");
  }

  @Test
  void bigIntegerDataReachesTheMessageExactly() throws Exception {
    Envelope d =
        EnvelopeCodec.INSTANCE.decode(
            Message.text("{\"type\":\"data\",\"data\":9007199254740993}"));
    Int64Value.Builder b = Int64Value.newBuilder();
    JsonFormat.parser().merge(d.data(), b);
    assertThat(b.getValue()).isEqualTo(9007199254740993L);
  }

  @Test
  void protoJsonCodecRoundTripsWithProtobufsJsonMapping() {
    ProtoJsonCodec<Timestamp, Timestamp> codec =
        new ProtoJsonCodec<>(Timestamp.getDefaultInstance());
    assertThat(codec.encode(T)).isEqualTo(Message.text("\"2009-02-13T23:31:30Z\""));
    assertThat(codec.decode(Message.text("\"2025-01-15T10:30:00Z\"")).getSeconds())
        .isEqualTo(1736937000L);
    assertThatThrownBy(() -> codec.decode(Message.text("\"yesterday\"")))
        .isInstanceOfSatisfying(
            DecodeException.class,
            e -> assertThat(e.status().code()).isEqualTo(CloseStatus.INVALID_PAYLOAD))
        .hasMessageContaining("invalid protobuf JSON for google.protobuf.Timestamp");
    assertThatThrownBy(() -> codec.decode(Message.binary(new byte[] {1})))
        .isInstanceOfSatisfying(
            DecodeException.class,
            e -> assertThat(e.status().code()).isEqualTo(CloseStatus.UNSUPPORTED_DATA));
    ProtoJsonCodec<StringValue, StringValue> lenient =
        new ProtoJsonCodec<>(
            StringValue.getDefaultInstance(),
            JsonFormat.parser().ignoringUnknownFields(),
            JsonFormat.printer());
    assertThat(lenient.parser()).isNotNull();
    assertThat(lenient.decode(Message.text("\"x\"")).getValue()).isEqualTo("x");
  }

  @Test
  void binaryProtoCodecRoundTripsAndRefusesText() {
    BinaryProtoCodec<Timestamp, Timestamp> codec =
        new BinaryProtoCodec<>(Timestamp.getDefaultInstance());
    Message f = codec.encode(T);
    assertThat(f.type()).isEqualTo(Message.Type.BINARY);
    assertThat(codec.decode(f)).isEqualTo(T);
    assertThatThrownBy(() -> codec.decode(Message.binary(new byte[] {(byte) 0xff})))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("invalid protobuf bytes for google.protobuf.Timestamp");
    assertThatThrownBy(() -> codec.decode(Message.text("{}")))
        .isInstanceOfSatisfying(
            DecodeException.class,
            e -> assertThat(e.status().code()).isEqualTo(CloseStatus.UNSUPPORTED_DATA));
  }

  @Test
  void metricsCount() {
    StreamMetrics m = new StreamMetrics();
    for (int i = 1; i <= 5; i++) {
      assertThat(m.incrementSent()).isEqualTo(i);
    }
    for (int i = 1; i <= 3; i++) {
      assertThat(m.incrementReceived()).isEqualTo(i);
    }
    assertThat(m.messagesSent()).isEqualTo(5);
    assertThat(m.messagesReceived()).isEqualTo(3);
    assertThat(m.ended()).isFalse();
    m.end();
    Duration d = m.duration();
    assertThat(m.ended()).isTrue();
    assertThat(m.duration()).isEqualTo(d);
  }

  /** A binary-codec connection survives the JSON heartbeat answer of the TypeScript client. */
  @Test
  void binaryCodecConnectionSurvivesTheTypeScriptClientsPong() throws Exception {
    FakeScheduler time = new FakeScheduler();
    WsConfig config = WsConfig.builder().scheduler(time).writeTimeout(Duration.ofDays(1)).build();
    try (ServiceKitServer server =
            ServiceKitServer.builder()
                .port(0)
                .ws(
                    "/bin",
                    r ->
                        WsListener.of(
                            new BinaryProtoCodec<>(Timestamp.getDefaultInstance()),
                            "Bin",
                            (session, t) -> session.send(t.toBuilder().setNanos(1).build())),
                    config)
                .build()
                .start();
        TestWsClient c = TestWsClient.connect(server.wsUri("/bin"))) {
      c.sendBinary(T.toByteArray()); // a round trip first: the connection (and its timer) runs
      assertThat(Timestamp.parseFrom(c.awaitBinary()).getNanos()).isEqualTo(1);
      time.advanceBy(Duration.ofSeconds(30));
      Map<String, Object> ping = c.awaitJson();
      assertThat(ping).containsEntry("type", "ping").containsEntry("pingId", 1);
      c.sendText("{\"type\":\"pong\",\"pingId\":1}"); // exactly what GRPCWSClient/BaseWSClient send
      c.sendBinary(T.toByteArray());
      assertThat(Timestamp.parseFrom(c.awaitBinary())).isEqualTo(T.toBuilder().setNanos(1).build());
      assertThat(c.isClosed()).isFalse();
    }
  }
}
