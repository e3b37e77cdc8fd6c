package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.JsonCodec;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseHub;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseParser;
import io.servicekit.sse.SseSession;
import io.servicekit.testkit.TestSseClient;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;

/**
 * One client among 100 stops reading while the server broadcasts: the 99 others receive every event
 * (measured by events received, not by time), the stalled stream's queue stays within its budget,
 * and what it eventually reads is whole events in order.
 */
class SseStalledReaderTest {
  private static final int STREAMS = 100;
  private static final int EVENTS = 300;
  private static final int BATCH = 10;
  private static final long BUDGET = 64 * 1024;

  record Tick(int n, String pad) {}

  @Test
  void aStalledReaderAmong100StreamsDoesNotDelayTheOthers() throws Exception {
    SseHub<Object> hub = new SseHub<>();
    CompletableFuture<SseSession<Object>> stalledSession = new CompletableFuture<>();
    SseConfig config =
        SseConfig.builder()
            .maxQueuedBytes(BUDGET)
            .slowConsumerPolicy(SlowConsumerPolicy.DROP_NEWEST)
            .keepalivePeriod(Duration.ZERO)
            .build();
    ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .sse(
                "/feed",
                request ->
                    SseListener.of(
                        "Feed",
                        JsonCodec.INSTANCE,
                        s -> {
                          if (request.header("X-Stalled").isPresent()) {
                            stalledSession.complete(s);
                          }
                          hub.register(s);
                        }),
                config)
            .build();
    // Small socket buffers so that the kernel cannot hide the stall.
    ((ServerConnector) server.jetty().getConnectors()[0]).setAcceptedSendBufferSize(4096);
    server.start();
    List<TestSseClient> healthy = new ArrayList<>();
    try (server;
        Socket stalled = new Socket()) {
      stalled.setReceiveBufferSize(4096);
      stalled.connect(new InetSocketAddress("localhost", server.port()));
      stalled
          .getOutputStream()
          .write(
              "GET /feed HTTP/1.0\r\nHost: x\r\nX-Stalled: 1\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      SseSession<Object> stuck = stalledSession.get(10, TimeUnit.SECONDS);
      for (int i = 1; i < STREAMS; i++) {
        TestSseClient c =
            TestSseClient.builder(server.uri().resolve("/feed")).reconnect(false).connect();
        healthy.add(c);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> hub.count() == STREAMS);

      // Batches of 10 (~10 KiB, well within every budget): a healthy client keeps up, so each
      // batch is received in full before the next one, however long the stalled one stays stuck.
      String padding = "x".repeat(1000);
      for (int b = 0; b < EVENTS / BATCH; b++) {
        for (int i = b * BATCH; i < (b + 1) * BATCH; i++) {
          assertThat(hub.broadcastEvent("tick", new Tick(i, padding)))
              .as("every stream but the stalled one takes event %d", i)
              .isGreaterThanOrEqualTo(STREAMS - 1);
        }
        int expected = (b + 1) * BATCH;
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> healthy.stream().allMatch(c -> c.receivedCount() >= expected));
      }
      for (TestSseClient c : healthy) {
        List<SseParser.Event> got = c.drain();
        assertThat(got).hasSize(EVENTS);
        for (int i = 0; i < EVENTS; i++) {
          assertThat(got.get(i).data()).startsWith("{\"n\":" + i + ",");
        }
      }
      assertThat(stuck.isOpen()).as("DROP_NEWEST keeps the stalled stream").isTrue();
      assertThat(stuck.queuedBytes()).isLessThanOrEqualTo(BUDGET);
      assertThat(stuck.droppedMessages()).isPositive();

      // The stalled reader wakes up after the stream ends: whole events, in order, a prefix.
      hub.closeAll();
      InputStream in = stalled.getInputStream();
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      in.transferTo(body);
      String response = body.toString(StandardCharsets.UTF_8);
      List<SseParser.Event> events =
          SseParser.parse(response.substring(response.indexOf("\r\n\r\n") + 4));
      assertThat(events).isNotEmpty().hasSizeLessThan(EVENTS);
      for (int i = 0; i < events.size(); i++) {
        assertThat(events.get(i).data()).startsWith("{\"n\":" + i + ",");
      }
    } finally {
      healthy.forEach(TestSseClient::close);
    }
  }
}
