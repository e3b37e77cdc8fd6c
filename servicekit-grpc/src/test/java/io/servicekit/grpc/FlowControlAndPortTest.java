package io.servicekit.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.StringValue;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.RawWsClient;
import io.servicekit.testkit.TestWsClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Backpressure from a browser that does not read, and a bridge to gRPC over a real TCP port. */
class FlowControlAndPortTest {

  /**
   * A client that stops reading holds back an endless, flow-control-aware gRPC producer: the bridge
   * stops requesting, gRPC reports the server not ready, production stops, the socket stays open.
   * What was sent arrives in order, and when the client goes away the stalled call is cancelled.
   */
  @Test
  void aSlowClientHoldsBackTheGrpcServerInsteadOfBuffering() throws Exception {
    try (Fixture f = new Fixture();
        RawWsClient raw =
            RawWsClient.builder(f.uri("/ticks?n=0")).receiveBufferSize(4096).connect()) {
      assertThat(raw.upgrade(RawWsClient.Upgrade.to(f.uri("/ticks?n=0"))).status()).isEqualTo(101);
      AtomicLong last = new AtomicLong(-1);
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(300))
          .until(
              () -> {
                long p = f.service.produced.get();
                return p > 0 && p == last.getAndSet(p);
              });
      long stalled = f.service.produced.get();
      GrpcBridge<?, ?> conn = f.lastConn();
      assertThat(conn.session().isOpen()).isTrue();
      assertThat(conn.session().queuedBytes())
          .isLessThanOrEqualTo(GrpcWsConfig.defaults().highWaterBytes() + 1024);
      // what was queued arrives complete and in order (the first few thousand are checked; the
      // rest sits in kernel buffers whose size depends on the machine)
      for (long i = 1; i <= Math.min(stalled, 5000); i++) {
        String text = raw.awaitText();
        int at = text.indexOf("\"data\":\"") + 8;
        long seconds = Instant.parse(text.substring(at, text.indexOf('"', at))).getEpochSecond();
        assertThat(seconds).as("message %d", i).isEqualTo(i);
      }
      raw.reset(); // the client goes away: the stalled call is cancelled
      await().atMost(Duration.ofSeconds(5)).until(() -> f.service.active.get() == 0);
      assertThat(f.service.cancelled).hasValue(1);
    }
  }

  /** The bidi bridge to a grpc-java server listening on a real port (Netty). */
  @Test
  void bidiOverARealGrpcPort() throws Exception {
    TestService service = new TestService();
    Server grpc =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(service.definition())
            .build()
            .start();
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", grpc.getPort()).usePlaintext().build();
    try (ServiceKitServer web =
            ServiceKitServer.builder()
                .port(0)
                .ws(
                    "/chat",
                    BidiStreamHandler.of(
                        StringValue.getDefaultInstance(), TestService.chatCall(channel)))
                .build()
                .start();
        TestWsClient c = TestWsClient.connect(web.wsUri("/chat"))) {
      c.sendText("{\"type\":\"data\",\"data\":\"over tcp\"}");
      assertThat(c.awaitJson()).isEqualTo(Map.of("type", "data", "data", "echo:over tcp"));
      c.sendText("{\"type\":\"end_send\"}");
      assertThat(c.awaitJson()).isEqualTo(Map.of("type", "data", "data", "bye"));
      assertThat(c.awaitText()).isEqualTo("{\"type\":\"stream_end\"}");
      assertThat(service.received).containsExactly("over tcp");
      TestWsClient second = TestWsClient.connect(web.wsUri("/chat"));
      second.sendText("{\"type\":\"data\",\"data\":\"x\"}");
      second.awaitJson();
      second.abort();
      await().atMost(Duration.ofSeconds(5)).until(() -> service.active.get() == 0);
      assertThat(service.cancelled).hasValue(1);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
