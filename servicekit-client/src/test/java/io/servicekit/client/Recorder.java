package io.servicekit.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.CloseStatus;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A {@link WsClient.Listener} that records every callback in queues the test polls. */
class Recorder<T> implements WsClient.Listener<T> {
  record Reconnecting(int attempt, Duration delay) {}

  final BlockingQueue<String> opens = new LinkedBlockingQueue<>();
  final BlockingQueue<T> messages = new LinkedBlockingQueue<>();
  final BlockingQueue<Long> pings = new LinkedBlockingQueue<>();
  final BlockingQueue<Long> pongs = new LinkedBlockingQueue<>();
  final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
  final BlockingQueue<CloseStatus> closes = new LinkedBlockingQueue<>();
  final BlockingQueue<Reconnecting> reconnects = new LinkedBlockingQueue<>();

  @Override
  public void onOpen() {
    opens.add("open");
  }

  @Override
  public void onMessage(T message) {
    messages.add(message);
  }

  @Override
  public void onPing(long pingId) {
    pings.add(pingId);
  }

  @Override
  public void onPong(long pingId) {
    pongs.add(pingId);
  }

  @Override
  public void onError(Throwable error) {
    errors.add(error);
  }

  @Override
  public void onClose(CloseStatus status) {
    closes.add(status);
  }

  @Override
  public void onReconnecting(int attempt, Duration delay) {
    reconnects.add(new Reconnecting(attempt, delay));
  }

  static <E> E poll(BlockingQueue<E> queue) throws InterruptedException {
    E e = queue.poll(20, TimeUnit.SECONDS);
    assertThat(e).as("nothing arrived within 20 s").isNotNull();
    return e;
  }
}
