package io.servicekit.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.StringValue;
import io.servicekit.testkit.TestWsClient;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The three bridges over a real WebSocket and a real (in-process) grpc-java server. */
class BridgeTest {
  private Fixture f;

  @BeforeEach
  void start() throws Exception {
    f = new Fixture();
  }

  @AfterEach
  void stop() throws Exception {
    f.close();
  }

  private static Map<String, Object> data(Object value) {
    return Map.of("type", "data", "data", value);
  }

  // ---- server streaming ----

  @Test
  void serverStreamDeliversDataInOrderThenOneStreamEnd() {
    try (TestWsClient c = f.connect("/ticks?n=3")) {
      assertThat(c.awaitText()).isEqualTo("{\"type\":\"data\",\"data\":\"1970-01-01T00:00:01Z\"}");
      assertThat(c.awaitJson()).isEqualTo(data("1970-01-01T00:00:02Z"));
      assertThat(c.awaitJson()).isEqualTo(data("1970-01-01T00:00:03Z"));
      assertThat(c.awaitText()).isEqualTo("{\"type\":\"stream_end\"}");
      // the socket stays open after stream_end (as upstream); still answers
      c.sendText("{\"type\":\"bogus\"}");
      assertThat(c.awaitJson()).containsEntry("type", "error");
      assertThat(c.isClosed()).isFalse();
      assertThat(f.lastConn().metrics().messagesSent()).isEqualTo(3);
    }
    await().until(() -> f.lastConn().metrics().ended());
    assertThat(f.service.active).hasValue(0);
  }

  @Test
  void serverStreamPingsHaveTheGrpcwsShape() {
    try (TestWsClient c = f.connect("/ticks?n=0")) {
      c.awaitJson();
      f.time.advanceBy(Duration.ofSeconds(30));
      assertThat(c.awaitJsonOfType("ping")).isEqualTo(Map.of("type", "ping", "pingId", 1));
    }
  }

  @Test
  void parseFailureAnswers400AndOpensNoCall() {
    assertThatThrownBy(() -> f.connect("/ticks"))
        .isInstanceOfSatisfying(
            TestWsClient.HandshakeFailed.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.body()).contains("query parameter n is required");
            });
    assertThatThrownBy(() -> f.connect("/ticks?n=x"))
        .isInstanceOfSatisfying(
            TestWsClient.HandshakeFailed.class, e -> assertThat(e.status()).isEqualTo(400));
    assertThat(f.service.started).hasValue(0);
  }

  @Test
  void upstreamErrorBecomesOneErrorEnvelopeWithCode() {
    try (TestWsClient c = f.connect("/ticks?n=-4")) {
      assertThat(c.awaitText())
          .isEqualTo(
              "{\"type\":\"error\",\"error\":\"NOT_FOUND: no ticks for -4\",\"code\":\"NOT_FOUND\"}");
      c.sendText("{\"type\":\"cancel\"}"); // no-op after the end, nothing sent
      c.sendText("{\"type\":\"ping\",\"pingId\":5}");
      assertThat(c.awaitText()).isEqualTo("{\"type\":\"pong\",\"pingId\":5}");
    }
  }

  @Test
  void cancelCancelsTheUpstreamCallAtOnceAndSilently() {
    try (TestWsClient c = f.connect("/ticks?n=0")) {
      c.awaitJson();
      await().until(() -> f.service.active.get() == 1);
      c.sendText("{\"type\":\"cancel\"}");
      await().atMost(Duration.ofSeconds(2)).until(() -> f.service.active.get() == 0);
      assertThat(f.service.cancelled).hasValue(1);
      assertThat(f.lastConn().upstreamCancelled()).isTrue();
      // after the cancel: data that was already queued may arrive, but no error or stream_end
      c.sendText("{\"type\":\"ping\",\"pingId\":9}");
      Map<String, Object> m;
      do {
        m = c.awaitJson();
      } while ("data".equals(m.get("type")));
      assertThat(m).isEqualTo(Map.of("type", "pong", "pingId", 9));
    }
  }

  @Test
  void clientDisconnectCancelsTheUpstreamCall() {
    TestWsClient c = f.connect("/ticks?n=0");
    c.awaitJson();
    await().until(() -> f.service.active.get() == 1);
    c.abort();
    await().atMost(Duration.ofSeconds(2)).until(() -> f.service.active.get() == 0);
    assertThat(f.service.cancelled).hasValue(1);
  }

  @Test
  void closeFrame1000CancelsTheUpstreamCallAtOnce() {
    TestWsClient c = f.connect("/ticks?n=0");
    c.awaitJson();
    c.close(1000, "done");
    await().atMost(Duration.ofSeconds(2)).until(() -> f.service.active.get() == 0);
  }

  // ---- client streaming ----

  @Test
  void clientStreamSendsInOrderAndAnswersDataThenStreamEnd() {
    try (TestWsClient c = f.connect("/sum")) {
      c.sendText("{\"type\":\"data\",\"data\":\"1970-01-01T00:00:01Z\"}");
      c.sendText("{\"type\":\"data\",\"data\":\"1970-01-01T00:00:02Z\"}");
      c.sendText("{\"type\":\"data\",\"data\":\"1970-01-01T02:46:36Z\"}");
      c.sendText("{\"type\":\"end_send\"}");
      assertThat(c.awaitJson()).isEqualTo(data("1970-01-01T02:46:39Z"));
      assertThat(c.awaitText()).isEqualTo("{\"type\":\"stream_end\"}");
      assertThat(f.service.received).containsExactly("1", "2", "9996");
      assertThat(f.lastConn().metrics().messagesReceived()).isEqualTo(3);
      assertThat(f.lastConn().metrics().messagesSent()).isEqualTo(1);
      // data after end_send: an error envelope, the session continues
      c.sendText("{\"type\":\"data\",\"data\":\"1970-01-01T00:00:01Z\"}");
      assertThat(c.awaitJson())
          .isEqualTo(
              Map.of(
                  "type", "error",
                  "error", "data after end_send: the client already half-closed the stream"));
      c.sendText("{\"type\":\"end_send\"}");
      assertThat(c.awaitJson()).containsEntry("error", "end_send was already received");
    }
  }

  @Test
  void clientStreamCancelCancelsUpstream() {
    try (TestWsClient c = f.connect("/sum")) {
      c.sendText("{\"type\":\"data\",\"data\":\"1970-01-01T00:00:01Z\"}");
      await().until(() -> f.service.active.get() == 1);
      c.sendText("{\"type\":\"cancel\"}");
      await().atMost(Duration.ofSeconds(2)).until(() -> f.service.active.get() == 0);
      c.sendText("{\"type\":\"data\",\"data\":\"1970-01-01T00:00:01Z\"}");
      assertThat(c.awaitJson()).containsEntry("error", "data after the stream ended");
      c.sendText("{\"type\":\"end_send\"}");
      assertThat(c.awaitJson()).containsEntry("error", "end_send after the stream ended");
    }
  }

  // ---- bidi ----

  @Test
  void bidiFullDuplexHalfCloseAndServerPushAfterIt() throws Exception {
    try (TestWsClient c = f.connect("/chat")) {
      c.sendText("{\"type\":\"data\",\"data\":\"hi\"}");
      assertThat(c.awaitJson()).isEqualTo(data("echo:hi"));
      var push = f.service.chats.take();
      synchronized (push) {
        push.onNext(StringValue.of("from-server"));
      }
      assertThat(c.awaitJson()).isEqualTo(data("from-server"));
      c.sendText("{\"type\":\"end_send\"}");
      assertThat(c.awaitJson()).isEqualTo(data("bye"));
      assertThat(c.awaitText()).isEqualTo("{\"type\":\"stream_end\"}");
      assertThat(f.service.received).containsExactly("hi");
      assertThat(f.lastConn().metrics().messagesSent()).isEqualTo(3);
      assertThat(f.lastConn().metrics().messagesReceived()).isEqualTo(1);
    }
  }

  @Test
  void bidiDeliversManyUpstreamMessagesBeforeStreamEnd() {
    try (TestWsClient c = f.connect("/chat")) {
      c.sendText("{\"type\":\"data\",\"data\":\"push:20\"}");
      c.sendText("{\"type\":\"end_send\"}");
      Set<Object> got = new HashSet<>();
      for (int i = 0; i < 20; i++) {
        got.add(c.awaitJson().get("data"));
      }
      assertThat(got).hasSize(20).contains("push-1", "push-20");
      assertThat(c.awaitJson()).isEqualTo(data("bye"));
      assertThat(c.awaitText()).isEqualTo("{\"type\":\"stream_end\"}");
    }
  }

  @Test
  void bidiCancelAndDisconnectCancelUpstream() {
    try (TestWsClient c = f.connect("/chat")) {
      c.sendText("{\"type\":\"data\",\"data\":\"a\"}");
      c.awaitJson();
      c.sendText("{\"type\":\"cancel\"}");
      await().atMost(Duration.ofSeconds(2)).until(() -> f.service.active.get() == 0);
    }
    TestWsClient c = f.connect("/chat");
    c.sendText("{\"type\":\"data\",\"data\":\"a\"}");
    c.awaitJson();
    c.abort();
    await().atMost(Duration.ofSeconds(2)).until(() -> f.service.active.get() == 0);
    assertThat(f.service.cancelled).hasValue(2);
  }

  // ---- bad input (conformance C.2): an error envelope each, the session continues ----

  @Test
  void badInputAnswersErrorEnvelopesAndNeverEndsTheSession() {
    try (TestWsClient c = f.connect("/chat")) {
      c.sendText("{\"type\":\"subscribe\"}");
      assertThat(c.awaitJson())
          .containsEntry(
              "error",
              "unknown message type \"subscribe\"; expected data, end_send, cancel or pong");
      c.sendText("{\"type\":\"data\",\"data\":{\"nope\":1}}");
      assertThat((String) c.awaitJson().get("error"))
          .startsWith("invalid google.protobuf.StringValue JSON:");
      c.sendText("{\"type\":\"data\"}");
      assertThat(c.awaitJson()).containsEntry("error", "data envelope without a \"data\" payload");
      c.sendText("not json");
      assertThat((String) c.awaitJson().get("error")).startsWith("invalid envelope: not JSON");
      c.sendText("[1,2]");
      assertThat((String) c.awaitJson().get("error"))
          .startsWith("invalid envelope: expected a JSON object, got array");
      c.sendText("{\"Type\":\"data\"}");
      assertThat((String) c.awaitJson().get("error"))
          .startsWith("invalid envelope: \"type\" must be a non-empty string");
      c.sendText("{\"type\":\"data\",\"type\":\"cancel\"}");
      assertThat((String) c.awaitJson().get("error")).startsWith("invalid envelope: not JSON");
      // a number whose exponent BigDecimal cannot hold (EnvelopeCodecPropertyTest found it closed)
      c.sendText("{\"type\":\"data\",\"data\":8e3026596450}");
      assertThat((String) c.awaitJson().get("error"))
          .startsWith("invalid envelope: not JSON: number out of range");
      c.sendBinary(new byte[] {1, 2});
      assertThat((String) c.awaitJson().get("error"))
          .isEqualTo("invalid envelope: binary frames are not accepted; send JSON text");
      // the stream still works
      c.sendText("{\"type\":\"data\",\"data\":\"still\"}");
      assertThat(c.awaitJson()).isEqualTo(data("echo:still"));
      assertThat(f.service.received).containsExactly("still");
      assertThat(c.isClosed()).isFalse();
    }
  }

  @Test
  void serverStreamRefusesDataAndEndSend() {
    try (TestWsClient c = f.connect("/ticks?n=0")) {
      c.sendText("{\"type\":\"data\",\"data\":\"1970-01-01T00:00:01Z\"}");
      assertThat(c.awaitJsonOfType("error"))
          .containsEntry(
              "error",
              "data is not accepted on a server-streaming call (its request came with the URL)");
      c.sendText("{\"type\":\"end_send\"}");
      assertThat(c.awaitJsonOfType("error"))
          .containsEntry("error", "end_send is not accepted on a server-streaming call");
    }
  }

  // ---- lifecycle: no leaked calls ----

  @Test
  void thousandConnectCancelDisconnectCyclesLeaveNoOpenCall() {
    for (int i = 0; i < 1000; i++) {
      String path = (i % 2 == 0) ? "/ticks?n=0" : "/chat";
      TestWsClient c = f.connect(path);
      if (i % 3 == 0) {
        c.sendText("{\"type\":\"cancel\"}");
      }
      if (i % 2 == 0) {
        c.abort();
      } else {
        c.close(1000, "bye");
      }
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> f.service.active.get() == 0);
    assertThat(f.service.started).hasValue(1000);
    await().until(() -> f.conns.stream().allMatch(cn -> cn.metrics().ended()));
  }
}
