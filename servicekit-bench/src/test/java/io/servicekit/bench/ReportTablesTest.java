package io.servicekit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.bench.BenchRunner.BroadcastRow;
import io.servicekit.bench.BenchRunner.IdleRow;
import io.servicekit.bench.client.BroadcastLoad;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The report's table helpers write exactly the Markdown the report has always had. */
class ReportTablesTest {
  private static BroadcastRow fanOut(String server, String scenario, double cpuMicros) {
    return new BroadcastRow(
        server,
        scenario,
        new BroadcastLoad.Result(
            200, 200_000, 199_998, 2, 0, 1_500_000, 12_345_678, 20_000_000, 20),
        cpuMicros,
        "",
        0.25,
        0.75);
  }

  @Test
  void headAlignsTheFirstColumnsLeftAndTheRestRight() {
    StringBuilder b = new StringBuilder();
    Report.head(b, 2, "server", "scenario", "broadcasts", "CPU vs Jetty");
    Report.head(b, 3, "target", "measured", "result");
    Report.line(b, "CPU", "AMD EPYC");
    assertThat(b.toString())
        .isEqualTo(
            "| server | scenario | broadcasts | CPU vs Jetty |\n"
                + "|---|---|---:|---:|\n"
                + "| target | measured | result |\n"
                + "|---|---|---|\n"
                + "| CPU | AMD EPYC |\n");
  }

  @Test
  void idleTableComparesEachRowWithItsJettyRowAndFlagsClosedConnections() {
    IdleRow jetty = new IdleRow("Jetty raw", 1_000, 3 << 20, 5 << 20, false, 1.25, 0);
    IdleRow sk = new IdleRow("ServiceKit", 1_000, 4 << 20, 5 << 20, false, 0.5, 0);
    IdleRow node = new IdleRow("Node ws", 10_000, 30 << 20, 1 << 20, true, 12.5, 3);
    StringBuilder b = new StringBuilder();
    Report.idleTable(
        b,
        "connections",
        "per connection",
        List.of(sk, jetty, node),
        i -> i.connections() == 1_000 ? Optional.of(jetty) : Optional.empty());
    assertThat(b.toString())
        .isEqualTo(
            "| server | connections | RSS Δ | heap after GC Δ | per connection | vs Jetty |"
                + " connect time |\n"
                + "|---|---:|---:|---:|---:|---:|---:|\n"
                + "| ServiceKit | 1,000 | 4.0 MiB | 5.0 MiB | **9.2 KiB** | +1.0 KiB | 0.5 s |\n"
                + "| Jetty raw | 1,000 | 3.0 MiB | 5.0 MiB | **8.2 KiB** | +0.0 KiB | 1.3 s |\n"
                + "| Node ws | 10,000 | 30.0 MiB | 1.0 MiB | **3.1 KiB** | – | 12.5 s"
                + " (3 closed by server!) |\n");
  }

  @Test
  void fanOutCellsEndTheRowWithTheCpuRatioToJetty() {
    BroadcastRow jetty = fanOut("Jetty raw", "1,000 streams", 99_998.0);
    BroadcastRow sk = fanOut("ServiceKit", "1,000 streams", 60_000.0);
    assertThat(Report.fanOutCells(sk, Optional.of(jetty)))
        .isEqualTo("200 | 2 | 1.50 ms | 12.3 ms | 20.0 ms | 0.3 (0.3–0.8) | 0.60× |\n");
    assertThat(Report.fanOutCells(sk, Optional.empty()))
        .isEqualTo("200 | 2 | 1.50 ms | 12.3 ms | 20.0 ms | 0.3 (0.3–0.8) | – |\n");
  }
}
