package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.Hub;
import io.servicekit.JsonCodec;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.testkit.TestWsClient;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Broadcast over real sockets: one stalled member must not hold up the others. */
class HubIntegrationTest {
  private static final int READERS = 10;
  private final Hub<Object> hub = new Hub<>();
  private final List<CompletableFuture<CloseStatus>> serverCloses = new ArrayList<>();

  private final class Member implements WsListener<Object, Object> {
    @Override
    public Codec<Object, Object> codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "Member";
    }

    @Override
    public void onMessage(WsSession<Object> session, Object message) {}

    final CompletableFuture<CloseStatus> closed = new CompletableFuture<>();

    Member() {
      synchronized (serverCloses) {
        serverCloses.add(closed);
      }
    }

    @Override
    public void onOpen(WsSession<Object> session) {
      hub.register(session);
    }

    @Override
    public void onClose(WsSession<Object> session, CloseStatus status) {
      closed.complete(status);
    }
  }

  @Test
  void aStalledMemberIsClosedAndEveryOtherMemberReceivesEveryMessage() throws Exception {
    WsConfig config =
        WsConfig.builder().maxQueuedBytes(512 * 1024).closeTimeout(Duration.ofMillis(500)).build();
    try (ServiceKitServer server =
        ServiceKitServer.builder().port(0).ws("/hub", r -> new Member(), config).build().start()) {
      List<TestWsClient> readers = new ArrayList<>();
      for (int i = 0; i < READERS; i++) {
        readers.add(TestWsClient.connect(server.wsUri("/hub")));
      }
      try (Socket stalled = RawUpgrade.stalledClient(server.uri(), "/hub")) {
        await().until(() -> hub.size() == READERS + 1);
        CompletableFuture<CloseStatus> stalledClose;
        synchronized (serverCloses) {
          stalledClose = serverCloses.get(READERS);
        }
        String payload = "z".repeat(16 * 1024);
        // 8 MB per member: past the stalled member's budget plus what loopback socket buffers
        // (up to 4 MB send, small receive window) can absorb.
        int messages = 500;
        // Paced by the readers: each message reaches every reader before the next is sent, so
        // their queues stay small, while the stalled member's queue only grows.
        for (int i = 0; i < messages; i++) {
          hub.broadcast(payload + i);
          for (TestWsClient reader : readers) {
            assertThat(reader.awaitText()).isEqualTo("\"" + payload + i + "\"");
          }
        }
        CloseStatus status = stalledClose.get(10, TimeUnit.SECONDS);
        assertThat(status.code()).isEqualTo(CloseStatus.POLICY_VIOLATION);
        assertThat(status.reason()).contains("slow consumer");
        await().until(() -> hub.size() == READERS);
        assertThat(hub.broadcast("after")).isEqualTo(READERS);
      } finally {
        readers.forEach(TestWsClient::close);
      }
    }
  }
}
