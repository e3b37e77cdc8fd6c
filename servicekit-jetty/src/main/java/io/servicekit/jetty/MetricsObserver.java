package io.servicekit.jetty;

import io.servicekit.CloseStatus;
import io.servicekit.WsSession;
import io.servicekit.spi.MetricsListener;
import io.servicekit.spi.MetricsListener.Kind;
import java.time.Duration;

/** Reports one WebSocket connection's events to a {@link MetricsListener}, tagged by route. */
final class MetricsObserver implements JettyTransport.Observer {
  private final MetricsListener metrics;
  private final String route;

  MetricsObserver(MetricsListener metrics, String route) {
    this.metrics = metrics;
    this.route = route;
  }

  @Override
  public void opened(WsSession<?> connection) {
    long start = System.nanoTime();
    metrics.opened(Kind.WEBSOCKET, route);
    connection
        .closeFuture()
        .whenComplete(
            (status, x) -> {
              CloseStatus s =
                  status == null ? CloseStatus.received(CloseStatus.ABNORMAL, "") : status;
              long dropped = connection.droppedMessages();
              if (dropped > 0) {
                metrics.dropped(Kind.WEBSOCKET, route, dropped);
              }
              String reason = s.reason() == null ? "" : s.reason();
              if (s.code() == CloseStatus.POLICY_VIOLATION
                  && (reason.startsWith("slow consumer") || reason.startsWith("write timeout"))) {
                metrics.slowConsumerClosed(Kind.WEBSOCKET, route);
              }
              if (s.code() == CloseStatus.INTERNAL_ERROR) {
                metrics.error(Kind.WEBSOCKET, route, "internal");
              }
              metrics.closed(
                  Kind.WEBSOCKET, route, s.code(), Duration.ofNanos(System.nanoTime() - start));
            });
  }

  @Override
  public void received(long bytes) {
    metrics.messageIn(Kind.WEBSOCKET, route, bytes);
  }

  @Override
  public void sent(long bytes) {
    metrics.messageOut(Kind.WEBSOCKET, route, bytes);
  }

  @Override
  public void transportError(Throwable cause) {
    metrics.error(Kind.WEBSOCKET, route, "transport");
  }
}
