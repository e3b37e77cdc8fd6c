package io.servicekit.bench;

import com.sun.management.OperatingSystemMXBean;
import io.servicekit.channel.Channels;
import io.servicekit.channel.StreamPosition;
import io.servicekit.jetty.ServiceKitServer;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Recovery of a 1,000-publication gap on a channel ({@code servicekit-bench/run.sh --channels}): a
 * {@link Channels} server (memory history) and a WebSocket client in this one JVM, over loopback.
 * Each round opens a connection and subscribes with {@code since} 1,000 publications back, and
 * measures the time from sending {@code subscribe} until its reply (which comes after the 1,000
 * recovered {@code pub} envelopes); the CPU of this process (server and client together) is
 * averaged over the measured rounds, connect and close included (the OS counts CPU in 10 ms ticks,
 * too coarse for one round). 20 warm-up rounds, then 50 measured; prints the median and the 90th
 * percentile. Then {@link PresenceMemory} runs.
 */
public final class ChannelBench {
  private static final int GAP = 1000;

  private ChannelBench() {}

  /** Runs the measurement and prints one line per figure. */
  public static void main(String[] args) throws Exception {
    boolean quick = List.of(args).contains("--quick");
    int warmup = quick ? 3 : 20;
    int rounds = quick ? 5 : 50;
    try (Channels channels = Channels.builder().build();
        ServiceKitServer server =
            ServiceKitServer.builder().port(0).ws("/ch", channels.wsHandler()).build().start()) {
      StreamPosition last = null;
      String payload = "x".repeat(180);
      for (int i = 0; i < GAP; i++) {
        last =
            channels
                .publish("room", java.util.Map.of("n", i, "text", payload))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .position();
      }
      StreamPosition since = new StreamPosition(last.epoch(), last.offset() - GAP);
      HttpClient http = HttpClient.newHttpClient();
      OperatingSystemMXBean os = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);
      long[] nanos = new long[rounds];
      long cpuStart = 0;
      for (int r = 0; r < warmup + rounds; r++) {
        if (r == warmup) {
          cpuStart = os.getProcessCpuTime();
        }
        Round round = new Round();
        WebSocket ws =
            http.newWebSocketBuilder()
                .buildAsync(URI.create(server.wsUri("/ch").toString()), round)
                .get(10, TimeUnit.SECONDS);
        String subscribe =
            "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"room\",\"since\":{\"epoch\":\""
                + since.epoch()
                + "\",\"offset\":"
                + since.offset()
                + "}}";
        long t0 = System.nanoTime();
        ws.sendText(subscribe, true);
        round.done.get(30, TimeUnit.SECONDS);
        long t1 = System.nanoTime();
        if (round.pubs.get() != GAP) {
          throw new IllegalStateException("recovered " + round.pubs.get() + ", expected " + GAP);
        }
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
        if (r >= warmup) {
          nanos[r - warmup] = t1 - t0;
        }
      }
      double cpuPerRound = (os.getProcessCpuTime() - cpuStart) / (double) rounds;
      Arrays.sort(nanos);
      System.out.printf(
          Locale.ROOT,
          "channel recovery, %d-publication gap (~220-byte pubs), %d rounds: time median %.2f ms,"
              + " p90 %.2f ms; process CPU %.2f ms per round, connect and close included (%.1f µs"
              + " per recovered publication)%n",
          GAP,
          rounds,
          nanos[rounds / 2] / 1e6,
          nanos[rounds * 9 / 10] / 1e6,
          cpuPerRound / 1e6,
          cpuPerRound / 1e3 / GAP);
    }
    PresenceMemory.main(args);
  }

  /** Counts the recovered publications and completes on the subscribe reply. */
  private static final class Round implements WebSocket.Listener {
    final AtomicInteger pubs = new AtomicInteger();
    final CompletableFuture<Void> done = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        String m = text.toString();
        text.setLength(0);
        if (m.startsWith("{\"type\":\"pub\"") || m.contains("\"type\":\"pub\"")) {
          pubs.incrementAndGet();
        } else if (m.contains("\"type\":\"reply\"")) {
          done.complete(null);
        }
      }
      ws.request(1);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      done.completeExceptionally(error);
    }
  }
}
