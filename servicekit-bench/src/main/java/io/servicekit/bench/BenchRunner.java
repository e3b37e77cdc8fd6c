package io.servicekit.bench;

import io.servicekit.WsConfig;
import io.servicekit.bench.client.BroadcastLoad;
import io.servicekit.bench.client.EchoLoad;
import io.servicekit.bench.client.Payloads;
import io.servicekit.bench.client.SseLoadClient;
import io.servicekit.bench.client.WsLoadClient;
import io.servicekit.bench.server.ServerControl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs the benchmark suite and writes the results into {@code BENCHMARKS.md} (between its {@code
 * <!-- results:begin -->} and {@code <!-- results:end -->} markers) and {@code
 * target/bench/results.md}.
 *
 * <p>Each server under test (ServiceKit, raw Jetty 12, raw Netty 4.2, Node {@code ws}) runs as its
 * own process started with this JVM's own {@code java} binary (the JDK Maven's toolchain chose) or
 * {@code node}, pinned to CPU 1 with {@code taskset} while this process — the load generator — pins
 * itself to CPU 0. Measurements are taken from outside: server CPU from {@code /proc/PID/stat}, RSS
 * from {@code /proc/PID/status}, heap after a full GC over the server's control channel.
 *
 * <p>Options: {@code --quick} (short warm-up and runs, for smoke tests), {@code --only=echo,idle,
 * broadcast,sse,jmh}, {@code --wait-quiet=MINUTES} (wait for the 1-minute load average to drop
 * below 1.0 first), {@code --jfr} (record the ServiceKit server with Flight Recorder into
 * target/bench), {@code --out=PATH} (default {@code ../BENCHMARKS.md}).
 */
public final class BenchRunner {
  private static final int ECHO_CONNECTIONS = 100;
  private static final int[] ECHO_RATES = {2_000, 10_000};
  private static final int SUBSCRIBERS = 1_000;
  private static final int IDLE_SMALL = 1_000;
  private static final int IDLE_LARGE = 10_000;
  private static final String SERVICEKIT = "ServiceKit";
  private static final String JETTY = "Jetty raw";
  private static final String NETTY = "raw Netty 4.2";
  private static final String NODE = "Node ws";
  private static final String NODE_SSE = "Node http";

  private final Settings settings;
  private final Path moduleDir;
  private final Path workDir;
  private final String java;
  private final String classpath;
  private final boolean pinned;
  private final List<String> notes = new ArrayList<>();
  private double maxLoad;
  private String arguments = "";
  private int runIds = 1;

  private final List<EchoRow> echoRows = new ArrayList<>();
  private final List<IdleRow> idleRows = new ArrayList<>();
  private final List<BroadcastRow> broadcastRows = new ArrayList<>();
  private final List<IdleRow> sseIdleRows = new ArrayList<>();
  private final List<BroadcastRow> sseRows = new ArrayList<>();
  private final List<JmhRow> jmhRows = new ArrayList<>();

  record Settings(
      boolean quick,
      Set<String> only,
      int waitQuietMinutes,
      boolean jfr,
      Path out,
      double warmupSeconds,
      double measureSeconds,
      int broadcastWarmup,
      Duration broadcastWarmupOpen,
      int broadcastCount,
      double broadcastRate,
      int sseWarmup,
      int sseCount,
      int repeats,
      List<String> jmhOptions) {
    boolean runs(String part) {
      return only.isEmpty() || only.contains(part);
    }
  }

  record EchoRow(
      String server,
      String endpoint,
      int rate,
      EchoLoad.Result result,
      double cpuMicros,
      long contextSwitches,
      double cpuMin,
      double cpuMax) {
    double switchesPerMessage() {
      return result.received() == 0 ? Double.NaN : (double) contextSwitches / result.received();
    }

    double cpuPerMessage() {
      return result.received() == 0 ? Double.NaN : cpuMicros / result.received();
    }
  }

  record IdleRow(
      String server,
      int connections,
      long rssDelta,
      long heapDelta,
      boolean heapInRss,
      double connectSeconds,
      long closedByPeer) {
    /** Bytes per connection: RSS growth, plus the heap growth when the heap was pre-touched. */
    double totalPerConnection() {
      return (double) (heapInRss ? rssDelta : rssDelta + heapDelta) / connections;
    }
  }

  record BroadcastRow(
      String server,
      String scenario,
      BroadcastLoad.Result result,
      double cpuMicros,
      String extra,
      double cpuMin,
      double cpuMax) {
    double cpuPerDelivery() {
      return result.delivered() == 0 ? Double.NaN : cpuMicros / result.delivered();
    }
  }

  record JmhRow(String benchmark, double nanosPerOp, double error, double bytesPerOp) {}

  private BenchRunner(Settings settings) throws IOException {
    this.settings = settings;
    this.moduleDir = Path.of("").toAbsolutePath();
    if (!Files.isDirectory(moduleDir.resolve("src/main/node"))) {
      throw new IOException(
          "run from the servicekit-bench directory (use servicekit-bench/run.sh): " + moduleDir);
    }
    this.workDir = moduleDir.resolve("target/bench");
    Files.createDirectories(workDir);
    this.java = ProcessHandle.current().info().command().orElse("java");
    this.classpath = System.getProperty("java.class.path");
    this.pinned = pinSelf();
  }

  public static void main(String[] args) throws Exception {
    if (List.of(args).contains("--deflate")) {
      DeflateBench.main(args); // permessage-deflate off vs on, a separate short run
      return;
    }
    if (List.of(args).contains("--channels")) {
      ChannelBench.main(args); // channel recovery and presence memory, a separate short run
      return;
    }
    Settings settings = parse(args);
    BenchRunner runner = new BenchRunner(settings);
    runner.arguments = String.join(" ", args).replace("--full", "").trim();
    runner.runAll();
  }

  static Settings parse(String[] args) {
    boolean quick = false;
    Set<String> only = Set.of();
    int waitQuiet = 0;
    boolean jfr = false;
    Path out = Path.of("../BENCHMARKS.md");
    for (String a : args) {
      if (a.equals("--quick")) {
        quick = true;
      } else if (a.equals("--full")) {
        quick = false;
      } else if (a.startsWith("--only=")) {
        only = Set.of(a.substring(7).split(","));
        for (String part : only) {
          if (!List.of("echo", "idle", "broadcast", "sse", "jmh").contains(part)) {
            throw new IllegalArgumentException(
                "--only takes echo, idle, broadcast, sse, jmh; got: " + part);
          }
        }
      } else if (a.startsWith("--wait-quiet=")) {
        waitQuiet = Integer.parseInt(a.substring(13));
      } else if (a.equals("--jfr")) {
        jfr = true;
      } else if (a.startsWith("--out=")) {
        out = Path.of(a.substring(6));
      } else if (!a.isBlank()) {
        throw new IllegalArgumentException(
            "unknown option "
                + a
                + " (known: --quick, --full, --only=..., --wait-quiet=MIN, --jfr, --out=PATH)");
      }
    }
    return quick
        ? new Settings(
            true,
            only,
            waitQuiet,
            jfr,
            out,
            5,
            5,
            40,
            Duration.ZERO,
            40,
            20,
            40,
            40,
            2,
            List.of("-f", "1", "-wi", "1", "-w", "1s", "-i", "2", "-r", "1s"))
        : new Settings(
            false,
            only,
            waitQuiet,
            jfr,
            out,
            25,
            20,
            200,
            // Warm up until the first heartbeat wave (every connection's first JSON ping, sent
            // at once one ping period after a burst of connects) and the code it compiles are
            // behind us: otherwise that one-time JIT work lands in ServiceKit's measured window.
            WsConfig.defaults().pingPeriod().plusSeconds(5),
            200,
            10,
            100,
            160,
            4,
            List.of());
  }

  private void runAll() throws Exception {
    waitQuiet();
    long started = System.nanoTime();
    double loadAtStart = ProcStats.loadAverage();
    maxLoad = loadAtStart;
    log(
        "mode %s, pinned %s, java %s, load %.2f",
        settings.quick() ? "quick" : "full", pinned, java, loadAtStart);
    if (settings.runs("echo")) {
      echo();
    }
    if (settings.runs("idle")) {
      for (String server : List.of(SERVICEKIT, JETTY, NETTY, NODE)) {
        idle(server);
      }
    }
    if (settings.runs("broadcast")) {
      broadcast();
    }
    if (settings.runs("sse")) {
      sse();
    }
    if (settings.runs("jmh")) {
      jmh();
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    String report = Report.render(this, loadAtStart, ProcStats.loadAverage(), took);
    Files.writeString(workDir.resolve("results.md"), report);
    Report.writeInto(settings.out(), report);
    log("wrote %s and %s in %s", settings.out().normalize(), workDir.resolve("results.md"), took);
  }

  // ------------------------------------------------------------------------------------- echo

  private record EchoTarget(
      String label, String path, ServerProcess process, List<WsLoadClient.Conn> conns) {}

  /**
   * What all measured slices of one target add up to: time, server CPU (the total, and the lowest
   * and highest per item of one slice) and the latency histogram.
   */
  private abstract static class SliceSum {
    double seconds;
    double cpu;
    double cpuMin = Double.MAX_VALUE;
    double cpuMax;
    final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);

    /** Adds a slice of {@code sliceSeconds} that cost {@code cpuMicros} for {@code items}. */
    void addSlice(double sliceSeconds, double cpuMicros, long items, Histogram h) {
      seconds += sliceSeconds;
      cpu += cpuMicros;
      double perItem = cpuMicros / Math.max(1, items);
      cpuMin = Math.min(cpuMin, perItem);
      cpuMax = Math.max(cpuMax, perItem);
      latency.add(h);
    }
  }

  /** Sums of one target's measured slices at one rate. */
  private static final class EchoSum extends SliceSum {
    long sent;
    long received;
    long lost;
    long duplicates;
    long foreign;
    long stalls;
    long maxLag;
    long switches;

    void add(EchoLoad.Result r, Histogram h, double cpuMicros, long cs) {
      sent += r.sent();
      received += r.received();
      lost += r.lost();
      duplicates += r.duplicates();
      foreign += r.foreign();
      stalls += r.sendStalls();
      maxLag = Math.max(maxLag, r.maxSendLagNanos());
      switches += cs;
      addSlice(r.seconds(), cpuMicros, r.received(), h);
    }

    EchoRow row(String label, String path, int rate) {
      EchoLoad.Result r =
          new EchoLoad.Result(
              sent,
              received,
              lost,
              duplicates,
              foreign,
              latency.getValueAtPercentile(50),
              latency.getValueAtPercentile(99),
              latency.getMaxValue(),
              stalls,
              maxLag,
              seconds);
      return new EchoRow(label, path, rate, r, cpu, switches, cpuMin, cpuMax);
    }
  }

  /**
   * All echo targets at once: every server process is up (idle ones cost next to nothing), each
   * target is warmed up, then each rate is measured in {@code repeats} slices per target, the
   * targets taking turns in a rotating order, so that a burst of outside load falls on all of them
   * rather than on one.
   */
  private void echo() throws Exception {
    try (WsLoadClient client = new WsLoadClient();
        Servers servers = new Servers()) {
      ServerProcess sk = servers.start(SERVICEKIT, "echo");
      ServerProcess jetty = servers.start(JETTY, "echo");
      ServerProcess netty = servers.start(NETTY, "echo");
      ServerProcess node = servers.start(NODE, "echo");
      List<EchoTarget> targets = new ArrayList<>();
      targets.add(echoTarget(client, sk, "/echo", SERVICEKIT + " WsListener + Codec.raw()"));
      targets.add(echoTarget(client, sk, "/json", SERVICEKIT + " WsListener.json (JsonCodec)"));
      targets.add(echoTarget(client, jetty, "/echo", JETTY));
      targets.add(echoTarget(client, netty, "/echo", NETTY));
      targets.add(echoTarget(client, node, "/echo", NODE));
      for (EchoTarget t : targets) {
        EchoLoad warm = new EchoLoad(runIds++, t.conns());
        client.handler(warm.handler());
        EchoLoad.Result w = warm.run(ECHO_RATES[1], settings.warmupSeconds(), 10_000);
        log(
            "echo warm-up %s: %d msgs, p50 %s p99 %s lost %d",
            t.label(), w.sent(), ms(w.p50()), ms(w.p99()), w.lost());
      }
      int repeats = settings.repeats();
      for (int rate : ECHO_RATES) {
        Map<EchoTarget, EchoSum> sums = new LinkedHashMap<>();
        for (EchoTarget t : targets) {
          sums.put(t, new EchoSum());
        }
        inRotatingSlices(
            targets,
            t -> {
              EchoLoad load = new EchoLoad(runIds++, t.conns());
              client.handler(load.handler());
              long pid = t.process().pid();
              long cpu0 = ProcStats.cpuMicros(pid);
              long cs0 = ProcStats.contextSwitches(pid);
              EchoLoad.Result r = load.run(rate, settings.measureSeconds() / repeats, 10_000);
              long cpu1 = ProcStats.cpuMicros(pid);
              long cs1 = ProcStats.contextSwitches(pid);
              sums.get(t).add(r, load.histogram(), cpu1 - cpu0, cs1 - cs0);
            });
        for (EchoTarget t : targets) {
          EchoRow row = sums.get(t).row(t.label(), t.path(), rate);
          echoRows.add(row);
          EchoLoad.Result r = row.result();
          log(
              "echo %s %d/s: sent %d lost %d p50 %s p99 %s max %s cpu %.1f us/msg (%.1f-%.1f),"
                  + " %.2f ctx sw/msg, send lag max %s",
              t.label(),
              rate,
              r.sent(),
              r.lost(),
              ms(r.p50()),
              ms(r.p99()),
              ms(r.max()),
              row.cpuPerMessage(),
              row.cpuMin(),
              row.cpuMax(),
              row.switchesPerMessage(),
              ms(r.maxSendLagNanos()));
        }
      }
      for (EchoTarget t : targets) {
        for (WsLoadClient.Conn c : t.conns()) {
          c.close();
        }
      }
    }
  }

  private EchoTarget echoTarget(WsLoadClient client, ServerProcess p, String path, String label)
      throws IOException {
    return new EchoTarget(
        label, path, p, client.connect(p.address(), path, ECHO_CONNECTIONS, 10, true, 0));
  }

  // ------------------------------------------------------------------------------------- idle

  private void idle(String server) throws Exception {
    log("idle: %s", server);
    try (ServerProcess s = start(server, "idle");
        WsLoadClient client = new WsLoadClient()) {
      // Load the classes of the connection path first, so that the baseline holds them.
      List<WsLoadClient.Conn> warm = client.connect(s.address(), "/echo", 50, 10, true, 0);
      EchoLoad ping = new EchoLoad(runIds++, warm);
      client.handler(ping.handler());
      ping.run(500, 1, 5_000);
      for (WsLoadClient.Conn c : warm) {
        c.close();
      }
      client.handler((c, b, o, l, n) -> {});
      settle(2);
      IdleBaseline base = IdleBaseline.take(s, client::closedByPeer);
      List<WsLoadClient.Conn> all = new ArrayList<>();
      for (int target : new int[] {IDLE_SMALL, IDLE_LARGE}) {
        int more = target - all.size();
        IdleRow row =
            base.step(
                server,
                target,
                server.equals(NODE),
                () -> all.addAll(client.connect(s.address(), "/echo", more, 16, true, 0)));
        idleRows.add(row);
        log(
            "  %d conns: rss +%s heap +%s => %.1f KiB/conn (connect %.1f s, closed by server %d)",
            target,
            mib(row.rssDelta()),
            mib(row.heapDelta()),
            row.totalPerConnection() / 1024,
            row.connectSeconds(),
            row.closedByPeer());
        sampleLoad();
      }
      for (WsLoadClient.Conn c : all) {
        c.close();
      }
    }
  }

  /** Opens the connections of one idle-memory step. */
  @FunctionalInterface
  private interface Opening {
    void open() throws IOException;
  }

  /**
   * The baseline of an idle-memory measurement on one server (connections closed by the server so
   * far, heap after a full GC, RSS), taken after the warm-up round.
   */
  private record IdleBaseline(
      ServerProcess server, LongSupplier closedByPeer, long closed, long heap, long rss) {
    static IdleBaseline take(ServerProcess s, LongSupplier closedByPeer) throws IOException {
      long closed0 = closedByPeer.getAsLong();
      long heap0 = s.heapAfterGc();
      long rss0 = ProcStats.rssBytes(s.pid());
      return new IdleBaseline(s, closedByPeer, closed0, heap0, rss0);
    }

    /**
     * Opens connections with {@code opening} (timed), lets the server settle for 3 s, then reads
     * the heap after a full GC and the RSS: the row of {@code connections} open connections.
     */
    IdleRow step(String label, int connections, boolean heapInRss, Opening opening)
        throws IOException {
      long t0 = System.nanoTime();
      opening.open();
      double secs = (System.nanoTime() - t0) / 1e9;
      settle(3);
      long heap = server.heapAfterGc();
      long rss = ProcStats.rssBytes(server.pid());
      return new IdleRow(
          label,
          connections,
          rss - this.rss,
          heap - this.heap,
          heapInRss,
          secs,
          closedByPeer.getAsLong() - closed);
    }
  }

  // -------------------------------------------------------------------------------- broadcast

  /** A server whose broadcasts are measured: who hands it each message, and its process. */
  private interface FanOutTarget {
    /** The server's name in the report. */
    String label();

    ServerProcess process();

    /** Hands the server one message to broadcast. */
    BroadcastLoad.Sender sender();
  }

  private record BroadcastTarget(
      String label, ServerProcess process, List<WsLoadClient.Conn> subscribers, long openedAt)
      implements FanOutTarget {
    /** The first subscriber sends every message (and receives its own copy). */
    @Override
    public BroadcastLoad.Sender sender() {
      return subscribers.get(0)::sendText;
    }
  }

  /** Sums of one server's measured slices in one scenario (latency: the fan-out time). */
  private static final class BroadcastSum extends SliceSum {
    int broadcasts;
    long expected;
    long delivered;
    long lost;
    int incomplete;

    void add(BroadcastLoad.Result r, Histogram h, double cpuMicros) {
      broadcasts += r.broadcasts();
      expected += r.expectedDeliveries();
      delivered += r.delivered();
      lost += r.lostDeliveries();
      incomplete += r.incomplete();
      addSlice(r.seconds(), cpuMicros, r.delivered(), h);
    }

    BroadcastRow row(String server, String scenario, String extra) {
      BroadcastLoad.Result r =
          new BroadcastLoad.Result(
              broadcasts,
              expected,
              delivered,
              lost,
              incomplete,
              latency.getValueAtPercentile(50),
              latency.getValueAtPercentile(99),
              latency.getMaxValue(),
              seconds);
      return new BroadcastRow(server, scenario, r, cpu, extra, cpuMin, cpuMax);
    }
  }

  /**
   * All broadcast servers at once, measured in rotating slices as for echo: first with 1,000
   * subscribers each, then with one more subscriber per server that never reads.
   */
  private void broadcast() throws Exception {
    try (WsLoadClient client = new WsLoadClient();
        Servers servers = new Servers()) {
      List<BroadcastTarget> targets = new ArrayList<>();
      for (String server : List.of(SERVICEKIT, JETTY, NETTY, NODE)) {
        ServerProcess p = servers.start(server, "broadcast");
        List<WsLoadClient.Conn> subscribers =
            client.connect(p.address(), "/broadcast", SUBSCRIBERS, 16, true, 0);
        targets.add(new BroadcastTarget(server, p, subscribers, System.nanoTime()));
      }
      // Each server: the warm-up broadcasts, then more until its subscribers have been open for
      // broadcastWarmupOpen (ServiceKit first, so that its first heartbeat wave falls in there).
      for (BroadcastTarget t : targets) {
        int broadcasts = 0;
        int incomplete = 0;
        int batch = settings.broadcastWarmup();
        do {
          BroadcastLoad warm = new BroadcastLoad(runIds++, batch, SUBSCRIBERS);
          client.handler(warm.handler());
          BroadcastLoad.Result w = warm.run(t.sender(), 20, 10_000);
          broadcasts += w.broadcasts();
          incomplete += w.incomplete();
          batch = 20;
        } while (System.nanoTime() - t.openedAt() < settings.broadcastWarmupOpen().toNanos());
        log(
            "broadcast warm-up %s: %d broadcasts, %d incomplete, subscribers open %.0f s",
            t.label(), broadcasts, incomplete, (System.nanoTime() - t.openedAt()) / 1e9);
      }
      measureBroadcasts(client, targets, "1,000 subscribers", Map.of());

      // One more subscriber per server that never reads, with a small receive window. It asks
      // the server for 8 MiB (more than loopback's kernel buffers hold), so the server is left
      // with writes pending towards it; wait until the kernel send queue stops growing.
      Map<String, String> extras = new LinkedHashMap<>();
      List<WsLoadClient.Conn> stalledConns = new ArrayList<>();
      for (BroadcastTarget t : targets) {
        WsLoadClient.Conn stalled =
            client.connect(t.process().address(), "/broadcast", 1, 1, false, 4096).get(0);
        stalledConns.add(stalled);
        int stalledPort = stalled.localPort();
        byte[] fill = ServerControl.FILL_REQUEST.getBytes(StandardCharsets.US_ASCII);
        stalled.sendText(fill, fill.length);
        long queue = -1;
        int steady = 0;
        long fillDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (steady < 10 && System.nanoTime() < fillDeadline) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
          long q = ProcStats.sendQueue(t.process().port(), stalledPort);
          steady = q > 0 && q == queue ? steady + 1 : 0;
          queue = q;
        }
        String extra =
            format(
                "stalled peer: 8 MiB requested, %s held in the server's kernel send queue"
                    + " (steady: %s)",
                queue < 0 ? "?" : mib(queue), steady >= 10 ? "yes" : "no");
        extras.put(t.label(), extra);
        log("broadcast %s: %s", t.label(), extra);
      }
      measureBroadcasts(client, targets, "+1 stalled subscriber", extras);
      for (WsLoadClient.Conn c : stalledConns) {
        c.close();
      }
      for (BroadcastTarget t : targets) {
        for (WsLoadClient.Conn c : t.subscribers()) {
          c.close();
        }
      }
    }
  }

  private void measureBroadcasts(
      WsLoadClient client,
      List<BroadcastTarget> targets,
      String scenario,
      Map<String, String> extras)
      throws IOException, InterruptedException {
    for (BroadcastRow row :
        measureFanOut(
            targets,
            settings.broadcastCount(),
            load -> client.handler(load.handler()),
            scenario,
            extras)) {
      broadcastRows.add(row);
      logFanOut("broadcast " + row.server() + ", " + scenario, row);
    }
  }

  /**
   * Measures {@code count} broadcasts per target (a new run installed by {@code install} per
   * slice), in rotating slices, {@link Settings#broadcastRate} a second: fan-out time per
   * broadcast, server CPU over each slice. Returns one row per target, in the order of {@code
   * targets}.
   */
  private <T extends FanOutTarget> List<BroadcastRow> measureFanOut(
      List<T> targets,
      int count,
      Consumer<BroadcastLoad> install,
      String scenario,
      Map<String, String> extras)
      throws IOException, InterruptedException {
    Map<T, BroadcastSum> sums = new LinkedHashMap<>();
    for (T t : targets) {
      sums.put(t, new BroadcastSum());
    }
    int perSlice = Math.max(1, count / settings.repeats());
    inRotatingSlices(
        targets,
        t -> {
          BroadcastLoad load = new BroadcastLoad(runIds++, perSlice, SUBSCRIBERS);
          install.accept(load);
          long cpu0 = ProcStats.cpuMicros(t.process().pid());
          BroadcastLoad.Result r = load.run(t.sender(), settings.broadcastRate(), 15_000);
          long cpu1 = ProcStats.cpuMicros(t.process().pid());
          sums.get(t).add(r, load.histogram(), cpu1 - cpu0);
        });
    List<BroadcastRow> rows = new ArrayList<>();
    for (T t : targets) {
      rows.add(sums.get(t).row(t.label(), scenario, extras.getOrDefault(t.label(), "")));
    }
    return rows;
  }

  private static void logFanOut(String what, BroadcastRow row) {
    log(
        "%s: p50 %s p99 %s max %s, %.1f us/delivery (%.1f-%.1f), lost %d",
        what,
        ms(row.result().p50()),
        ms(row.result().p99()),
        ms(row.result().max()),
        row.cpuPerDelivery(),
        row.cpuMin(),
        row.cpuMax(),
        row.result().lostDeliveries());
  }

  /** One measured slice on one target. */
  @FunctionalInterface
  private interface Slice<T> {
    void run(T target) throws IOException, InterruptedException;
  }

  /**
   * Runs {@code slice} {@link Settings#repeats} times on every target, the targets taking turns in
   * an order that rotates by one each round (so that bursts of outside load are shared out); the
   * load average is sampled before every slice.
   */
  private <T> void inRotatingSlices(List<T> targets, Slice<T> slice)
      throws IOException, InterruptedException {
    int repeats = settings.repeats();
    for (int rep = 0; rep < repeats; rep++) {
      for (int i = 0; i < targets.size(); i++) {
        T t = targets.get((i + rep) % targets.size());
        sampleLoad();
        slice.run(t);
      }
    }
  }

  // -------------------------------------------------------------------------------------- SSE

  private record SseTarget(String label, ServerProcess process, List<SseLoadClient.Stream> streams)
      implements FanOutTarget {
    /** Asks the server over its control channel to broadcast the message. */
    @Override
    public BroadcastLoad.Sender sender() {
      return (payload, len) ->
          process.publish(new String(payload, 0, len, StandardCharsets.US_ASCII));
    }
  }

  /**
   * SSE at 1,000 streams per server, all servers up at once. First, one server at a time, the idle
   * memory of 1,000 streams (as for idle WebSocket connections: warm-up round, full GC, baseline,
   * open, settle, full GC); then, on those same streams, broadcasts triggered over the control
   * channel, measured in rotating slices as for the WebSocket broadcast.
   */
  private void sse() throws Exception {
    try (SseLoadClient client = new SseLoadClient();
        Servers servers = new Servers()) {
      List<SseTarget> targets = new ArrayList<>();
      for (String server : List.of(SERVICEKIT, JETTY, NETTY, NODE)) {
        ServerProcess p = servers.start(server, "sse");
        targets.add(new SseTarget(server.equals(NODE) ? NODE_SSE : server, p, new ArrayList<>()));
      }
      for (SseTarget t : targets) {
        sseIdle(client, t);
      }
      for (SseTarget t : targets) {
        BroadcastLoad warm = new BroadcastLoad(runIds++, settings.sseWarmup(), SUBSCRIBERS);
        client.handler(warm.sseHandler());
        // A cold server on a busy machine may lag far behind: wait for it (up to 30 s), so that
        // the backlog does not spill into the first measured slice.
        BroadcastLoad.Result w = warm.run(t.sender(), 20, 30_000);
        log(
            "sse warm-up %s: %d events, %d incomplete, %d not delivered in time, streams"
                + " closed by servers so far %d",
            t.label(), w.broadcasts(), w.incomplete(), w.lostDeliveries(), client.closedByPeer());
      }
      for (BroadcastRow row :
          measureFanOut(
              targets,
              settings.sseCount(),
              load -> client.handler(load.sseHandler()),
              "1,000 streams",
              Map.of())) {
        sseRows.add(row);
        logFanOut("sse " + row.server(), row);
      }
      if (client.closedByPeer() > 0) {
        notes.add("SSE: " + client.closedByPeer() + " streams were ended by their server");
      }
      if (client.protocolErrors() > 0) {
        notes.add("SSE: " + client.protocolErrors() + " streams dropped on a malformed body");
      }
      for (SseTarget t : targets) {
        for (SseLoadClient.Stream s : t.streams()) {
          s.close();
        }
      }
    }
  }

  /** Idle memory of {@link #SUBSCRIBERS} streams on {@code t}, which keeps them open. */
  private void sseIdle(SseLoadClient client, SseTarget t) throws Exception {
    ServerProcess s = t.process();
    // Load the classes of the stream and broadcast paths first, so that the baseline holds them.
    List<SseLoadClient.Stream> warm = client.connect(s.address(), "/sse", 50, 10);
    BroadcastLoad round = new BroadcastLoad(runIds++, 20, warm.size());
    client.handler(round.sseHandler());
    round.run(t.sender(), 50, 5_000);
    for (SseLoadClient.Stream w : warm) {
      w.close();
    }
    client.handler((st, b, o, l, n) -> {});
    // A server may notice a client gone only when a write to it fails: two more events make sure
    // the warm-up streams are gone before the baseline.
    settle(1);
    s.publish("{\"type\":\"flush\"}");
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
    s.publish("{\"type\":\"flush\"}");
    settle(1);
    IdleRow row =
        IdleBaseline.take(s, client::closedByPeer)
            .step(
                t.label(),
                SUBSCRIBERS,
                t.label().equals(NODE_SSE),
                () -> t.streams().addAll(client.connect(s.address(), "/sse", SUBSCRIBERS, 16)));
    sseIdleRows.add(row);
    log(
        "sse idle %s: %d streams: rss +%s heap +%s => %.1f KiB/stream (connect %.1f s, closed %d)",
        t.label(),
        SUBSCRIBERS,
        mib(row.rssDelta()),
        mib(row.heapDelta()),
        row.totalPerConnection() / 1024,
        row.connectSeconds(),
        row.closedByPeer());
    sampleLoad();
  }

  // ------------------------------------------------------------------------------------- JMH

  private void jmh() throws Exception {
    log("jmh: codecs, ping envelope, SSE framing (-prof gc)");
    Path json = workDir.resolve("jmh.json");
    List<String> cmd = new ArrayList<>(pinPrefix());
    cmd.addAll(
        List.of(
            java,
            "-cp",
            classpath,
            "org.openjdk.jmh.Main",
            "io.servicekit.bench.jmh.",
            "-prof",
            "gc",
            "-rf",
            "json",
            "-rff",
            json.toString()));
    cmd.addAll(settings.jmhOptions());
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(workDir.resolve("jmh.log").toFile())
            .start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException("JMH did not finish in 10 minutes; see " + workDir.resolve("jmh.log"));
    }
    if (p.exitValue() != 0) {
      throw new IOException("JMH failed (exit " + p.exitValue() + "); see target/bench/jmh.log");
    }
    JsonNode results = JsonMapper.builder().build().readTree(Files.readString(json));
    for (JsonNode r : results) {
      String name = r.path("benchmark").asString();
      name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
      JsonNode primary = r.path("primaryMetric");
      JsonNode alloc = r.path("secondaryMetrics").path("gc.alloc.rate.norm");
      jmhRows.add(
          new JmhRow(
              name,
              number(primary.path("score")),
              number(primary.path("scoreError")),
              number(alloc.path("score"))));
    }
    for (JmhRow r : jmhRows) {
      log("  %s: %.1f ns/op, %.0f B/op", r.benchmark(), r.nanosPerOp(), r.bytesPerOp());
    }
  }

  /** A JMH result number; JMH writes "NaN" as a string (e.g. the error of a single run). */
  private static double number(JsonNode n) {
    if (n.isNumber()) {
      return n.asDouble();
    }
    try {
      return Double.parseDouble(n.asString());
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  // ----------------------------------------------------------------------------- processes

  /**
   * The server processes of one part of the suite, all up at once and stopped together at its end
   * (before its load client closes).
   */
  private final class Servers implements AutoCloseable {
    private final List<ServerProcess> processes = new ArrayList<>();

    ServerProcess start(String server, String phase) throws IOException {
      ServerProcess p = BenchRunner.this.start(server, phase);
      processes.add(p);
      return p;
    }

    @Override
    public void close() {
      for (ServerProcess p : processes) {
        p.close();
      }
    }
  }

  private ServerProcess start(String server, String phase) throws IOException {
    List<String> cmd = new ArrayList<>(pinPrefix());
    Path dir = moduleDir;
    switch (server) {
      case SERVICEKIT, JETTY, NETTY -> {
        cmd.addAll(
            List.of(
                java,
                "-Xms1g",
                "-Xmx1g",
                "-XX:+UseG1GC",
                "-XX:+AlwaysPreTouch",
                "-Dorg.eclipse.jetty.LEVEL=OFF"));
        if (server.equals(NETTY)) {
          // Netty's epoll transport loads a JNI library: allowed up front, not warned about.
          cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        if (settings.jfr() && server.equals(SERVICEKIT)) {
          cmd.add(
              "-XX:StartFlightRecording=settings=profile,filename="
                  + workDir.resolve("servicekit-" + phase + ".jfr"));
        }
        cmd.addAll(
            List.of(
                "-cp",
                classpath,
                switch (server) {
                  case SERVICEKIT -> "io.servicekit.bench.server.ServiceKitBenchServer";
                  case JETTY -> "io.servicekit.bench.server.JettyRawServer";
                  default -> "io.servicekit.bench.server.NettyRawServer";
                },
                "0"));
      }
      case NODE -> {
        dir = moduleDir.resolve("src/main/node");
        if (!Files.isDirectory(dir.resolve("node_modules/ws"))) {
          throw new IOException("run 'npm ci' in " + dir + " first (run.sh does)");
        }
        cmd.addAll(List.of("node", "--expose-gc", "ws-server.mjs", "0"));
      }
      default -> throw new IllegalArgumentException("unknown server " + server);
    }
    Path log = workDir.resolve(server.replace(' ', '-').toLowerCase(Locale.ROOT) + ".log");
    // taskset -c 1 execs the server: every thread it ever starts inherits CPU 1.
    return ServerProcess.start(server, cmd, dir, log);
  }

  private List<String> pinPrefix() {
    return pinned ? List.of("taskset", "-c", "1") : List.of();
  }

  private boolean pinSelf() {
    if (cpuCount() < 2 || !onPath("taskset")) {
      notes.add("not pinned: taskset missing or fewer than 2 CPUs");
      return false;
    }
    try {
      exec("taskset", "-a", "-p", "-c", "0", Long.toString(ProcessHandle.current().pid()));
      return true;
    } catch (IOException e) {
      notes.add("not pinned: " + e.getMessage());
      return false;
    }
  }

  static int cpuCount() {
    try {
      return (int)
          Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
              .filter(l -> l.startsWith("processor"))
              .count();
    } catch (IOException e) {
      return Runtime.getRuntime().availableProcessors();
    }
  }

  private static boolean onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  static String exec(String... cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(String.join(" ", cmd) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return out;
  }

  private void waitQuiet() {
    if (settings.waitQuietMinutes() <= 0) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(settings.waitQuietMinutes());
    int quiet = 0;
    while (System.nanoTime() < deadline) {
      double load = ProcStats.loadAverage();
      quiet = load < 1.0 ? quiet + 1 : 0;
      log("waiting for a quiet machine: load %.2f (%d quiet polls)", load, quiet);
      if (quiet >= 3) {
        return;
      }
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(30));
    }
    notes.add(
        "the machine never got quiet (1-minute load average < 1.0) within "
            + settings.waitQuietMinutes()
            + " minutes: numbers measured under load");
  }

  private void sampleLoad() {
    maxLoad = Math.max(maxLoad, ProcStats.loadAverage());
  }

  /** Gives the server time to finish setting up connections before memory is read. */
  private static void settle(int seconds) {
    LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(seconds));
  }

  static void log(String format, Object... args) {
    String time = DateTimeFormatter.ISO_LOCAL_TIME.format(Instant.now().atOffset(ZoneOffset.UTC));
    System.out.printf(Locale.ROOT, "[bench %s] %s%n", time.substring(0, 8), format(format, args));
    System.out.flush();
  }

  static String format(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }

  static String ms(long nanos) {
    return format("%.2f ms", nanos / 1e6);
  }

  static String mib(long bytes) {
    return format("%.1f MiB", bytes / (1024.0 * 1024));
  }

  // ------------------------------------------------------------------------ for the report

  Settings settings() {
    return settings;
  }

  String arguments() {
    return arguments;
  }

  boolean pinned() {
    return pinned;
  }

  List<String> notes() {
    return notes;
  }

  double maxLoad() {
    return maxLoad;
  }

  List<EchoRow> echoRows() {
    return echoRows;
  }

  List<IdleRow> idleRows() {
    return idleRows;
  }

  List<BroadcastRow> broadcastRows() {
    return broadcastRows;
  }

  List<IdleRow> sseIdleRows() {
    return sseIdleRows;
  }

  List<BroadcastRow> sseRows() {
    return sseRows;
  }

  List<JmhRow> jmhRows() {
    return jmhRows;
  }

  Path moduleDir() {
    return moduleDir;
  }

  /**
   * The version of Netty on the class path and the transport its peer picks on this machine (the
   * server process runs on the same class path, so it finds the same).
   */
  static String nettyVersion() {
    io.netty.util.Version v = io.netty.util.Version.identify().get("netty-common");
    String transport;
    try {
      transport = io.netty.channel.epoll.Epoll.isAvailable() ? "epoll" : "NIO (no epoll here)";
    } catch (LinkageError e) {
      transport = "NIO (" + e + ")";
    }
    return (v == null ? "?" : v.artifactVersion()) + ", " + transport;
  }

  static Map<String, String> machine() {
    Map<String, String> m = new LinkedHashMap<>();
    try {
      m.put(
          "CPU",
          Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
              .filter(l -> l.startsWith("model name"))
              .findFirst()
              .map(l -> l.substring(l.indexOf(':') + 1).trim())
              .orElse("?"));
      m.put("CPUs (nproc)", Integer.toString(cpuCount()));
      String memTotal =
          Files.readAllLines(Path.of("/proc/meminfo")).stream()
              .filter(l -> l.startsWith("MemTotal"))
              .findFirst()
              .orElse("MemTotal: ? kB");
      long kb = Long.parseLong(memTotal.replaceAll("[^0-9]", ""));
      m.put("memory", format("%.1f GiB", kb / (1024.0 * 1024)));
      m.put("kernel", Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim());
    } catch (IOException | RuntimeException e) {
      m.put("machine", "unknown (" + e + ")");
    }
    m.put(
        "JDK",
        System.getProperty("java.vm.vendor")
            + " "
            + System.getProperty("java.vm.name")
            + " "
            + Runtime.version());
    m.put("Jetty", org.eclipse.jetty.util.Jetty.VERSION);
    m.put("Netty", nettyVersion());
    try {
      m.put("Node", exec("node", "--version"));
    } catch (IOException e) {
      m.put("Node", "not found");
    }
    m.put("payload", Payloads.SIZE + "-byte JSON text messages");
    return m;
  }
}
