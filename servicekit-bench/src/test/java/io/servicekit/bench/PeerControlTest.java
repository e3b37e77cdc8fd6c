package io.servicekit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.bench.client.BroadcastLoad;
import io.servicekit.bench.client.EchoLoad;
import io.servicekit.bench.client.SseLoadClient;
import io.servicekit.bench.client.WsLoadClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JVM peers as the runner drives them: each in its own process started with this JVM's java
 * binary, over the {@code ServerControl} line protocol on its standard input and output. Raw Netty
 * must give the runner exactly what raw Jetty gives it: {@code PORT n} and then a working server on
 * that port, {@code HEAP n} for {@code mem}, the same {@code ERROR} line for an unknown command,
 * {@code publish} delivered to every SSE stream, and an exit on {@code quit}.
 */
class PeerControlTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"JettyRawServer", "NettyRawServer"})
  void thePeerAnswersTheRunnersCommands(String peer) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(
        List.of(
            "-Xmx256m",
            "--enable-native-access=ALL-UNNAMED",
            "-Dorg.eclipse.jetty.LEVEL=OFF",
            "-cp",
            System.getProperty("java.class.path"),
            "io.servicekit.bench.server." + peer,
            "0"));
    ServerProcess p = ServerProcess.start(peer, cmd, dir, dir.resolve(peer + ".log"));
    try {
      assertThat(p.port()).isPositive();

      try (WsLoadClient ws = new WsLoadClient()) {
        List<WsLoadClient.Conn> conns = ws.connect(p.address(), "/echo", 4, 4, true, 0);
        EchoLoad echo = new EchoLoad(1, conns);
        ws.handler(echo.handler());
        EchoLoad.Result r = echo.run(100, 0.5, 30_000);
        assertThat(r.received()).isEqualTo(r.sent()).isEqualTo(50);
        for (WsLoadClient.Conn c : conns) {
          c.close();
        }
      }

      assertThat(p.heapAfterGc()).isPositive().isLessThan(256L << 20);
      assertThat(p.ask("frobnicate now", "ERROR ")).isEqualTo("unknown command: frobnicate now");

      try (SseLoadClient sse = new SseLoadClient()) {
        List<SseLoadClient.Stream> streams = sse.connect(p.address(), "/sse", 3, 3);
        BroadcastLoad load = new BroadcastLoad(2, 5, streams.size());
        sse.handler(load.sseHandler());
        BroadcastLoad.Result r =
            load.run(
                (payload, len) -> p.publish(new String(payload, 0, len, StandardCharsets.US_ASCII)),
                50,
                30_000);
        assertThat(r.delivered()).isEqualTo(15);
        assertThat(r.incomplete()).isZero();
        assertThat(sse.protocolErrors()).isZero();
        for (SseLoadClient.Stream s : streams) {
          s.close();
        }
      }
    } finally {
      p.close(); // "quit", then waits up to 10 s before it would resort to killing
    }
    assertThat(p.isAlive()).isFalse();
    assertThat(p.exitValue()).as("exit code (143 or 137: killed, not quit)").isZero();
  }
}
