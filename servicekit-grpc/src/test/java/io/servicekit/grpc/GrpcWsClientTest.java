package io.servicekit.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.StringValue;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.servicekit.CloseStatus;
import io.servicekit.client.GrpcWsClient;
import io.servicekit.client.ServerErrorException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The public {@link GrpcWsClient} (servicekit-client) against the real bridges of this module and a
 * real in-process grpc-java server, with a protojson payload codec.
 */
class GrpcWsClientTest {
  private Fixture f;

  @BeforeEach
  void start() throws Exception {
    f = new Fixture();
  }

  @AfterEach
  void stop() throws Exception {
    f.close();
  }

  /** Protojson payloads, as the bridge speaks them; the client module itself has no protobuf. */
  static <M extends Message> GrpcWsClient.PayloadCodec<M, M> protoJson(M prototype) {
    return new GrpcWsClient.PayloadCodec<>() {
      @Override
      public String encode(M request) {
        try {
          return JsonFormat.printer().omittingInsignificantWhitespace().print(request);
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalArgumentException(e.getMessage(), e);
        }
      }

      @Override
      @SuppressWarnings("unchecked")
      public M decode(String json) {
        Message.Builder builder = prototype.newBuilderForType();
        try {
          JsonFormat.parser().merge(json, builder);
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalArgumentException(e.getMessage(), e);
        }
        return (M) builder.build();
      }
    };
  }

  /** Records the client's callbacks. */
  static final class Rec<R> implements GrpcWsClient.Listener<R> {
    final BlockingQueue<R> data = new LinkedBlockingQueue<>();
    final BlockingQueue<String> ends = new LinkedBlockingQueue<>();
    final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
    final BlockingQueue<CloseStatus> closes = new LinkedBlockingQueue<>();
    final BlockingQueue<Long> pings = new LinkedBlockingQueue<>();

    @Override
    public void onPing(long pingId) {
      pings.add(pingId);
    }

    @Override
    public void onData(R response) {
      data.add(response);
    }

    @Override
    public void onStreamEnd() {
      ends.add("end");
    }

    @Override
    public void onError(Throwable error) {
      errors.add(error);
    }

    @Override
    public void onClose(CloseStatus status) {
      closes.add(status);
    }
  }

  private static <E> E poll(BlockingQueue<E> q) throws InterruptedException {
    E e = q.poll(20, TimeUnit.SECONDS);
    assertThat(e).as("nothing arrived within 20 s").isNotNull();
    return e;
  }

  private static Timestamp seconds(long s) {
    return Timestamp.newBuilder().setSeconds(s).build();
  }

  @Test
  void serverStreamingDeliversDataThenStreamEndAndAnswersPings() throws Exception {
    Rec<Timestamp> rec = new Rec<>();
    try (GrpcWsClient<Timestamp, Timestamp> client =
        GrpcWsClient.builder(f.uri("/ticks?n=3"), protoJson(Timestamp.getDefaultInstance()))
            .listener(rec)
            .build()) {
      client.connect().get(20, TimeUnit.SECONDS);
      assertThat(poll(rec.data)).isEqualTo(seconds(1));
      assertThat(poll(rec.data)).isEqualTo(seconds(2));
      assertThat(poll(rec.data)).isEqualTo(seconds(3));
      assertThat(poll(rec.ends)).isEqualTo("end");
      assertThat(client.isOpen()).isTrue(); // the socket stays open after stream_end

      // A bridge ping is answered by the client (pong) and reaches neither onData nor onError.
      f.time.advanceBy(Duration.ofSeconds(30));
      client.send(seconds(9)); // server mode: an unexpected data envelope is answered with an error
      assertThat(poll(rec.errors)).isInstanceOf(ServerErrorException.class);
      assertThat(rec.data).isEmpty();
      assertThat(rec.errors).isEmpty();
    }
  }

  @Test
  void pongsKeepALongCallAliveBeyondThePongPeriod() throws Exception {
    Rec<Timestamp> rec = new Rec<>();
    try (GrpcWsClient<Timestamp, Timestamp> client =
        GrpcWsClient.builder(f.uri("/ticks?n=0"), protoJson(Timestamp.getDefaultInstance()))
            .listener(rec)
            .build()) {
      client.connect().get(20, TimeUnit.SECONDS);
      poll(rec.data); // the bridge is running (and its heartbeat scheduled)
      // The bridge closes a connection that stays silent for the pong period (300 s by default);
      // 11 pings at 30 s are 330 s, so only the client's pongs keep this call open.
      for (long id = 1; id <= 11; id++) {
        f.time.advanceBy(Duration.ofSeconds(30));
        assertThat(poll(rec.pings)).isEqualTo(id);
      }
      // Had the bridge timed out (at 300 s, during the 10th step), it would have closed with 1001
      // "heartbeat timeout"; alive, it answers our close with 1000.
      client.close();
      assertThat(client.closed().get(20, TimeUnit.SECONDS).code()).isEqualTo(CloseStatus.NORMAL);
      assertThat(poll(rec.closes).code()).isEqualTo(CloseStatus.NORMAL);
    }
  }

  @Test
  void upstreamErrorArrivesWithItsGrpcCode() throws Exception {
    Rec<Timestamp> rec = new Rec<>();
    try (GrpcWsClient<Timestamp, Timestamp> client =
        GrpcWsClient.builder(f.uri("/ticks?n=-4"), protoJson(Timestamp.getDefaultInstance()))
            .listener(rec)
            .build()) {
      client.connect().get(20, TimeUnit.SECONDS);
      assertThat(poll(rec.errors))
          .isInstanceOfSatisfying(
              ServerErrorException.class,
              e -> {
                assertThat(e.code()).isEqualTo("NOT_FOUND");
                assertThat(e.error()).isEqualTo("NOT_FOUND: no ticks for -4");
              });
      assertThat(rec.ends).isEmpty();
    }
  }

  @Test
  void bidiEchoesPushesAndEndsAfterHalfClose() throws Exception {
    Rec<StringValue> rec = new Rec<>();
    try (GrpcWsClient<StringValue, StringValue> client =
        GrpcWsClient.builder(f.uri("/chat"), protoJson(StringValue.getDefaultInstance()))
            .listener(rec)
            .build()) {
      client.connect().get(20, TimeUnit.SECONDS);
      client.send(StringValue.of("hi"));
      assertThat(poll(rec.data)).isEqualTo(StringValue.of("echo:hi"));
      client.send(StringValue.of("push:2"));
      assertThat(poll(rec.data)).isEqualTo(StringValue.of("push-1"));
      assertThat(poll(rec.data)).isEqualTo(StringValue.of("push-2"));
      client.endSend();
      assertThat(poll(rec.data)).isEqualTo(StringValue.of("bye"));
      assertThat(poll(rec.ends)).isEqualTo("end");
      assertThat(rec.errors).isEmpty();
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> f.service.active.get() == 0);
  }

  @Test
  void clientStreamingSumsAfterEndSend() throws Exception {
    Rec<Timestamp> rec = new Rec<>();
    try (GrpcWsClient<Timestamp, Timestamp> client =
        GrpcWsClient.builder(f.uri("/sum"), protoJson(Timestamp.getDefaultInstance()))
            .listener(rec)
            .build()) {
      client.connect().get(20, TimeUnit.SECONDS);
      client.send(seconds(2));
      client.send(seconds(40));
      client.endSend();
      assertThat(poll(rec.data)).isEqualTo(seconds(42));
      assertThat(poll(rec.ends)).isEqualTo("end");
    }
  }

  @Test
  void cancelCancelsTheUpstreamCallAndCloseEndsTheSocket() throws Exception {
    Rec<Timestamp> rec = new Rec<>();
    GrpcWsClient<Timestamp, Timestamp> client =
        GrpcWsClient.builder(f.uri("/ticks?n=0"), protoJson(Timestamp.getDefaultInstance()))
            .listener(rec)
            .build();
    client.connect().get(20, TimeUnit.SECONDS);
    poll(rec.data);
    await().atMost(Duration.ofSeconds(20)).until(() -> f.service.active.get() == 1);
    client.cancel();
    await().atMost(Duration.ofSeconds(20)).until(() -> f.service.active.get() == 0);
    assertThat(f.service.cancelled).hasValue(1);
    assertThat(f.lastConn().upstreamCancelled()).isTrue();
    assertThat(client.isOpen()).isTrue();
    client.close();
    assertThat(client.closed().get(20, TimeUnit.SECONDS).code()).isEqualTo(CloseStatus.NORMAL);
    assertThat(poll(rec.closes).code()).isEqualTo(CloseStatus.NORMAL);
    assertThat(rec.ends).isEmpty();
  }
}
