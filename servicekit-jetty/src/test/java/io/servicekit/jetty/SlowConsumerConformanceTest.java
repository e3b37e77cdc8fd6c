package io.servicekit.jetty;

import static io.servicekit.jetty.ConformanceServer.CHUNK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.CloseStatus;
import io.servicekit.jetty.ConformanceServer.Opened;
import io.servicekit.jetty.ConformanceServer.Tracked;
import io.servicekit.testkit.RawWsClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that never reads while the server broadcasts: its bounded queue fills, the server closes
 * it with 1008, and the hub keeps serving the client that reads.
 */
class SlowConsumerConformanceTest {
  /** Far more than kernel socket buffers plus the 256 KiB budget can hold. */
  private static final int MAX_BROADCASTS = 2_000;

  private static ConformanceServer server;

  @BeforeAll
  static void start() throws Exception {
    server = ConformanceServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void aClientThatNeverReadsIsClosedWith1008WhileAReadingClientKeepsReceiving() {
    String slowId = ConformanceServer.newId();
    // A small receive buffer: the TCP window of the silent client fills after a few KiB.
    try (RawWsClient slow =
            RawWsClient.builder(server.uri("/feed?id=" + slowId))
                .receiveBufferSize(4096)
                .connect();
        Opened reader = server.open("/feed")) {
      RawWsClient.Upgrade upgrade = RawWsClient.Upgrade.to(server.uri("/feed?id=" + slowId));
      slow.upgrade(upgrade).assertSwitched(upgrade.key());
      Tracked slowConn = server.conn(slowId);
      await().atMost(Duration.ofSeconds(10)).until(slowConn::isOpen);

      // From here on `slow` is never read. Each request makes the hub broadcast CHUNK bytes to
      // both members; the reader takes its copy before asking again.
      int broadcasts = 0;
      while (slowConn.isOpen()) {
        assertThat(broadcasts)
            .as("the silent client is still open after %d broadcasts", broadcasts)
            .isLessThan(MAX_BROADCASTS);
        reader.client().sendText("more");
        assertThat(reader.client().awaitBinary()).hasSize(CHUNK);
        broadcasts++;
      }

      ConformanceServer.CloseLog log = slowConn.log();
      await().atMost(Duration.ofSeconds(10)).until(() -> log.count() > 0);
      assertThat(log.count()).isEqualTo(1);
      CloseStatus status = log.status();
      assertThat(status.code()).isEqualTo(1008);
      assertThat(status.reason()).contains("slow consumer");

      // The reader is unaffected and the hub still serves it.
      for (int i = 0; i < 3; i++) {
        reader.client().sendText("more");
        assertThat(reader.client().awaitBinary()).hasSize(CHUNK);
      }
      assertThat(reader.conn().isOpen()).isTrue();
      assertThat(reader.conn().log().count()).isZero();
    }
  }
}
