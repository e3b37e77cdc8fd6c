package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.Message;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.internal.driver.WsConnection;
import io.servicekit.spi.MetricsListener;
import io.servicekit.spi.Transport;
import io.servicekit.testkit.TestWsClient;
import io.servicekit.testkit.VirtualScheduler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Slow-consumer closes, drops and errors reach the {@link MetricsListener} (the driver on virtual
 * time: every callback runs on the test thread); and a shutdown closes connections that open after
 * it began (a real server).
 */
class MetricsObserverTest {
  /** Records every event as text. */
  static final class Recording implements MetricsListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void opened(Kind kind, String route) {
      events.add("opened " + route);
    }

    @Override
    public void closed(Kind kind, String route, int code, Duration lifetime) {
      events.add("closed " + route + " " + code);
    }

    @Override
    public void dropped(Kind kind, String route, long count) {
      events.add("dropped " + count);
    }

    @Override
    public void slowConsumerClosed(Kind kind, String route) {
      events.add("slow consumer");
    }

    @Override
    public void error(Kind kind, String route, String type) {
      events.add("error " + type);
    }
  }

  /** A transport whose writes never complete: a peer that reads nothing. */
  static final class StuckTransport implements Transport {
    WsConnection<?, ?> connection;

    @Override
    public void sendText(String text, WriteCallback callback) {}

    @Override
    public void sendBinary(byte[] bytes, WriteCallback callback) {}

    @Override
    public void sendClose(int code, String reason, WriteCallback callback) {}

    @Override
    public void abort() {
      connection.onClosed(CloseStatus.ABNORMAL, "aborted");
    }

    @Override
    public void demand() {}
  }

  private static WsConnection<Message, Message> connection(WsConfig config) {
    WsListener<Message, Message> conn = WsListener.of(Codec.raw(), "Stuck", (session, m) -> {});
    return new WsConnection<>(conn, config, null, null);
  }

  @Test
  void slowConsumerCloseIsReported() {
    Recording metrics = new Recording();
    VirtualScheduler time = new VirtualScheduler();
    WsConnection<Message, Message> c =
        connection(
            WsConfig.builder()
                .scheduler(time)
                .maxQueuedBytes(10)
                .slowConsumerPolicy(SlowConsumerPolicy.CLOSE)
                .build());
    StuckTransport transport = new StuckTransport();
    transport.connection = c;
    new MetricsObserver(metrics, "/r").opened(c);
    c.open(transport);
    c.sendMessage(Message.text("0123456789"));
    c.sendMessage(Message.text("overflow"));
    time.advanceBy(Duration.ofMinutes(1)); // close timeout: the stuck peer is dropped
    time.runUntilIdle();
    assertThat(metrics.events).containsExactly("opened /r", "slow consumer", "closed /r 1008");
  }

  @Test
  void dropsAndInternalErrorsAreReported() {
    Recording metrics = new Recording();
    VirtualScheduler time = new VirtualScheduler();
    WsConnection<Message, Message> c =
        connection(
            WsConfig.builder()
                .scheduler(time)
                .maxQueuedBytes(10)
                .slowConsumerPolicy(SlowConsumerPolicy.DROP_NEWEST)
                .build());
    StuckTransport transport = new StuckTransport();
    transport.connection = c;
    new MetricsObserver(metrics, "/r").opened(c);
    c.open(transport);
    c.sendMessage(Message.text("0123456789"));
    c.sendMessage(Message.text("a"));
    c.sendMessage(Message.text("b"));
    c.close(CloseStatus.of(CloseStatus.INTERNAL_ERROR, "internal error"));
    time.advanceBy(Duration.ofMinutes(1));
    time.runUntilIdle();
    assertThat(metrics.events)
        .containsExactly("opened /r", "dropped 2", "error internal", "closed /r 1011");
  }

  @Test
  void shutdownClosesConnectionsThatOpenAfterItBegan() throws Exception {
    try (ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .ws("/ws", r -> WsListener.of(Codec.raw(), "Late", (session, m) -> {}))
            .build()
            .start()) {
      server.closeWebSockets(GracefulShutdown.GOING_AWAY, true).get();
      try (TestWsClient late = TestWsClient.connect(server.wsUri("/ws"))) {
        assertThat(late.awaitClose().code()).isEqualTo(1001);
      }
    }
  }
}
