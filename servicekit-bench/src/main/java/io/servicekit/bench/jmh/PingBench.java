package io.servicekit.bench.jmh;

import io.servicekit.Codec;
import io.servicekit.Message;
import io.servicekit.Request;
import io.servicekit.Scheduler;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.internal.driver.WsConnection;
import io.servicekit.spi.Transport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The heartbeat as sent: {@link WsListener#onHeartbeat} builds the ping envelope {@code
 * {"connId":…,"name":…,"pingId":n,"type":"ping"}} and queues it on a live {@link WsConnection}
 * whose transport completes every write at once. Measures the envelope plus the outgoing queue.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PingBench {
  private WsListener<Message, Message> listener;
  private WsConnection<Message, Message> connection;
  private long pingId;
  private Sink sink;

  @Setup
  public void setUp(Blackhole blackhole) throws Exception {
    sink = new Sink(blackhole);
    listener = WsListener.of(Codec.raw(), "PingBench", (session, message) -> {});
    WsConfig config = WsConfig.builder().scheduler(new NeverScheduler()).build();
    connection = new WsConnection<>(listener, config, new StubRequest(), null);
    connection.open(sink);
    listener.onHeartbeat(connection, ++pingId);
    if (sink.sent == 0) {
      throw new IllegalStateException("ping was not written");
    }
  }

  @Benchmark
  public long sendPing() {
    listener.onHeartbeat(connection, ++pingId);
    return sink.sent;
  }

  /** A transport that completes every write at once. */
  static final class Sink implements Transport {
    private final Blackhole blackhole;
    volatile long sent;

    Sink(Blackhole blackhole) {
      this.blackhole = blackhole;
    }

    @Override
    @SuppressWarnings("NonAtomicVolatileUpdate") // one writer thread; volatile only for the reader
    public void sendText(String text, WriteCallback callback) {
      blackhole.consume(text);
      sent++;
      callback.succeeded();
    }

    @Override
    public void sendBinary(byte[] bytes, WriteCallback callback) {
      callback.succeeded();
    }

    @Override
    public void sendClose(int code, String reason, WriteCallback callback) {
      callback.succeeded();
    }

    @Override
    public void abort() {}

    @Override
    public void demand() {}
  }

  /** Time stands still: no heartbeat or watchdog ever fires during the benchmark. */
  static final class NeverScheduler implements Scheduler {
    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
      return () -> {};
    }

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }
  }

  /** A minimal upgrade request. */
  static final class StubRequest implements Request {
    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String scheme() {
      return "http";
    }

    @Override
    public String host() {
      return "localhost";
    }

    @Override
    public String path() {
      return "/bench";
    }

    @Override
    public Optional<String> header(String name) {
      return Optional.empty();
    }

    @Override
    public List<String> headers(String name) {
      return List.of();
    }

    @Override
    public Optional<String> queryParam(String name) {
      return Optional.empty();
    }

    @Override
    public Map<String, List<String>> queryParams() {
      return Map.of();
    }

    @Override
    public Map<String, String> pathParams() {
      return Map.of();
    }

    @Override
    public List<String> subprotocols() {
      return List.of();
    }

    @Override
    public InetSocketAddress remoteAddress() {
      return new InetSocketAddress("127.0.0.1", 1);
    }
  }
}
