package io.servicekit.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/**
 * permessage-deflate off vs on: server CPU per message and bytes on the wire, for echo and for a
 * hub broadcast, and the server's resident memory per connection. The server ({@code
 * DeflateBenchServer}) runs in its own JVM; its CPU is utime + stime from {@code /proc}, its bytes
 * are Jetty's connector statistics (TCP payload, both directions), its memory is {@code VmRSS} (the
 * heap is pre-touched, so a change of RSS is native memory: zlib state, buffers, stacks). The
 * clients are Jetty's WebSocket client in this process, closed loop (a connection sends its next
 * message once the previous echo arrived; the next broadcast starts once every member got the
 * previous one), so the numbers are costs, not capacities.
 *
 * <p>Run: {@code servicekit-bench/run.sh --deflate} (about 2 minutes; {@code --deflate --quick}: a
 * tenth of the messages). Writes {@code target/bench/deflate.md}.
 */
public final class DeflateBench {
  private static final String[] WORDS =
      ("the a to and of in is you that it for on with are this be at have not was your we can "
              + "room chat message hello thanks see later meeting today tomorrow build deploy "
              + "server client test ok great sure lunch coffee review merge branch release")
          .split(" ");

  /** A way to connect: permessage-deflate offer (null: none), over TLS or not. */
  private record Mode(String name, String offer, boolean tls) {
    Mode(String name, String offer) {
      this(name, offer, false);
    }
  }

  private static final List<Mode> MODES =
      List.of(
          new Mode("off", null),
          new Mode("on", "permessage-deflate"),
          new Mode(
              "fresh",
              "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
          new Mode("wss", null, true)); // no deflate, TLS 1.3 (HTTP/1.1 upgrade)

  private final ServerProcess server;
  private final WebSocketClient client;
  private final boolean quick;
  private final List<String> rows;
  private int tlsPort; // 0 until asked

  private DeflateBench(ServerProcess server, WebSocketClient client, boolean quick) {
    this(server, client, quick, new ArrayList<>());
  }

  private DeflateBench(
      ServerProcess server, WebSocketClient client, boolean quick, List<String> rows) {
    this.server = server;
    this.client = client;
    this.quick = quick;
    this.rows = rows;
  }

  public static void main(String[] args) throws Exception {
    boolean quick = List.of(args).contains("--quick");
    Path work =
        Files.isDirectory(Path.of("servicekit-bench"))
            ? Path.of("servicekit-bench/target/bench")
            : Path.of("target/bench");
    Files.createDirectories(work);
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd =
        List.of(
            java,
            "-Xms512m",
            "-Xmx512m",
            "-XX:+UseG1GC",
            "-XX:+AlwaysPreTouch",
            "-cp",
            System.getProperty("java.class.path"),
            "io.servicekit.bench.server.DeflateBenchServer");
    // Trusts any certificate: the server's is a throw-away self-signed one made at its start.
    org.eclipse.jetty.io.ClientConnector connector = new org.eclipse.jetty.io.ClientConnector();
    connector.setSslContextFactory(new org.eclipse.jetty.util.ssl.SslContextFactory.Client(true));
    WebSocketClient client =
        new WebSocketClient(
            new org.eclipse.jetty.client.HttpClient(
                new org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP(connector)));
    client.setMaxTextMessageSize(1 << 20);
    client.setIdleTimeout(Duration.ofMinutes(10));
    client.start();
    try (ServerProcess server =
        ServerProcess.start(
            "deflate-server", cmd, Path.of("."), work.resolve("deflate-server.log"))) {
      DeflateBench bench = new DeflateBench(server, client, quick);
      bench.run();
      bench.rows.add("");
      bench.rows.add(
          "| memory (fresh server per row) | mode | RSS Δ/conn after one 200 B echo"
              + " | after one 64 KiB echo more | Jetty pools: size/in use |");
      bench.rows.add("|---|---|---:|---:|---|");
      for (Mode m : MODES) {
        try (ServerProcess fresh =
            ServerProcess.start(
                "deflate-mem-" + m.name(), cmd, Path.of("."), work.resolve("deflate-server.log"))) {
          new DeflateBench(fresh, client, quick, bench.rows).memory(m, quick ? 200 : 1000);
        }
      }
      String out =
          "Measured "
              + Instant.now()
              + " on "
              + Runtime.getRuntime().availableProcessors()
              + " CPUs, load average "
              + String.format(Locale.ROOT, "%.2f", ProcStats.loadAverage())
              + (quick ? " (--quick)" : "")
              + "\n\n"
              + String.join("\n", bench.rows)
              + "\n";
      Files.writeString(work.resolve("deflate.md"), out);
      System.out.println(out);
    } finally {
      client.stop();
    }
  }

  private void run() throws Exception {
    int echoConns = 20;
    int echoMessages = quick ? 100 : 1000;
    int members = 500;
    int broadcasts = quick ? 20 : 200;
    // Warm-up (JIT, pools) of every path, not measured.
    for (Mode m : MODES) {
      echo(m, echoConns, echoMessages / 5, false);
      broadcast(m, 100, broadcasts / 4, false);
    }
    rows.add("| scenario | mode | messages | server CPU µs/msg | server bytes out/msg | in/msg |");
    rows.add("|---|---|---:|---:|---:|---:|");
    for (Mode m : MODES) {
      echo(m, echoConns, echoMessages, true);
    }
    for (Mode m : MODES) {
      broadcast(m, members, broadcasts, true);
    }
  }

  /** A chat-like JSON message of about 200 bytes. */
  static String message(Random random, long seq) {
    StringBuilder text = new StringBuilder();
    while (text.length() < 90) {
      text.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
    }
    return "{\"type\":\"chat_message\",\"data\":{\"room\":\"lobby\",\"username\":\"user"
        + random.nextInt(1000)
        + "\",\"message\":\""
        + text.toString().trim()
        + "\",\"timestamp\":"
        + (1_765_000_000_000L + seq * 37)
        + ",\"seq\":"
        + seq
        + "}}";
  }

  /** A client session; counts messages and releases a permit per message. */
  public static final class Listener implements Session.Listener.AutoDemanding {
    final Semaphore received = new Semaphore(0);
    final AtomicLong count = new AtomicLong();
    volatile CountDownLatch latch;

    @Override
    public void onWebSocketText(String message) {
      count.incrementAndGet();
      received.release();
      CountDownLatch l = latch;
      if (l != null) {
        l.countDown();
      }
    }
  }

  private Session open(String path, Mode mode, Listener listener) throws Exception {
    URI uri =
        URI.create(
            (mode.tls() ? "wss://127.0.0.1:" + tlsPort() : "ws://127.0.0.1:" + server.port())
                + path
                + "/"
                + mode.name());
    ClientUpgradeRequest request = new ClientUpgradeRequest(uri);
    if (mode.offer() != null) {
      request.addExtensions(mode.offer());
    }
    Session s = client.connect(listener, request).get(30, TimeUnit.SECONDS);
    String answer = s.getUpgradeResponse().getHeader("Sec-WebSocket-Extensions");
    if ((mode.offer() == null) != (answer == null)) {
      throw new IllegalStateException(mode + ": answered " + answer);
    }
    return s;
  }

  private int tlsPort() throws IOException {
    if (tlsPort == 0) { // asked once per server, not once per connection
      tlsPort = Integer.parseInt(server.ask("tlsport", "TLSPORT "));
    }
    return tlsPort;
  }

  /**
   * Bytes sent and received by the server over the connections closed so far, once every connection
   * has closed (Jetty counts a connection's bytes when it closes).
   */
  private long[] bytes() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      String[] p = server.ask("bytes", "BYTES ").split(" ");
      if (Long.parseLong(p[2]) == 0) {
        return new long[] {Long.parseLong(p[0]), Long.parseLong(p[1])};
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(p[2] + " connections still open on the server");
      }
      Thread.sleep(20); // a poll in a benchmark's bookkeeping, not a test's synchronisation
    }
  }

  private void echo(Mode mode, int conns, int perConn, boolean record) throws Exception {
    long[] b0 = bytes();
    List<Session> sessions = new ArrayList<>();
    List<Listener> listeners = new ArrayList<>();
    for (int i = 0; i < conns; i++) {
      Listener l = new Listener();
      listeners.add(l);
      sessions.add(open("/echo", mode, l));
    }
    long cpu0 = ProcStats.cpuMicros(server.pid());
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < conns; i++) {
      Session s = sessions.get(i);
      Listener l = listeners.get(i);
      Random random = new Random(i);
      threads.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      for (int k = 0; k < perConn; k++) {
                        s.sendText(message(random, k), Callback.NOOP);
                        await(l);
                      }
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }));
    }
    for (Thread t : threads) {
      t.join();
    }
    long cpu = ProcStats.cpuMicros(server.pid()) - cpu0;
    for (Session s : sessions) {
      s.close();
    }
    long[] b1 = bytes();
    long n = (long) conns * perConn;
    if (record) {
      rows.add(
          String.format(
              Locale.ROOT,
              "| echo, %d connections | %s | %d | %.1f | %.1f | %.1f |",
              conns,
              mode.name(),
              n,
              cpu / (double) n,
              (b1[0] - b0[0]) / (double) n,
              (b1[1] - b0[1]) / (double) n));
    }
  }

  private void broadcast(Mode mode, int members, int count, boolean record) throws Exception {
    long[] b0 = bytes();
    List<Session> sessions = new ArrayList<>();
    List<Listener> listeners = new ArrayList<>();
    for (int i = 0; i < members; i++) {
      Listener l = new Listener();
      listeners.add(l);
      sessions.add(open("/broadcast", mode, l));
    }
    Random random = new Random(42);
    long cpu0 = ProcStats.cpuMicros(server.pid());
    for (int k = 0; k < count; k++) {
      CountDownLatch latch = new CountDownLatch(members);
      for (Listener l : listeners) {
        l.latch = latch;
      }
      sessions.get(0).sendText(message(random, k), Callback.NOOP);
      if (!latch.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("broadcast " + k + " not delivered within 60 s");
      }
    }
    long cpu = ProcStats.cpuMicros(server.pid()) - cpu0;
    for (Session s : sessions) {
      s.close();
    }
    long[] b1 = bytes();
    long n = (long) members * count;
    if (record) {
      rows.add(
          String.format(
              Locale.ROOT,
              "| broadcast to %d members (%d broadcasts) | %s | %d deliveries | %.2f | %.1f | %.2f |",
              members,
              count,
              mode.name(),
              n,
              cpu / (double) n,
              (b1[0] - b0[0]) / (double) n,
              (b1[1] - b0[1]) / (double) n));
    }
  }

  /**
   * On a fresh server: resident memory per connection once each of {@code conns} connections has
   * echoed one 200-byte message, then once each has also echoed a 64 KiB chat-like text (which
   * fills the 32 KiB windows and touches the whole of zlib's state).
   */
  private void memory(Mode mode, int conns) throws Exception {
    Random random = new Random(7);
    for (int i = 0; i < 50; i++) { // warm-up: classes loaded, pools primed
      Listener l = new Listener();
      Session s = open("/echo", mode, l);
      s.sendText(message(random, i), Callback.NOOP);
      await(l);
      s.close();
    }
    bytes();
    long rss0 = ProcStats.rssBytes(server.pid());
    List<Session> sessions = new ArrayList<>();
    List<Listener> listeners = new ArrayList<>();
    for (int i = 0; i < conns; i++) {
      Listener l = new Listener();
      Session s = open("/echo", mode, l);
      sessions.add(s);
      listeners.add(l);
      s.sendText(message(random, i), Callback.NOOP);
      await(l);
    }
    long small = ProcStats.rssBytes(server.pid()) - rss0;
    StringBuilder big = new StringBuilder();
    for (long k = 0; big.length() < 64 * 1024; k++) {
      big.append(message(random, k));
    }
    for (int i = 0; i < conns; i++) {
      sessions.get(i).sendText(big.toString(), Callback.NOOP);
      await(listeners.get(i));
    }
    long large = ProcStats.rssBytes(server.pid()) - rss0;
    String pools = server.ask("pools", "POOLS ");
    for (Session s : sessions) {
      s.close();
    }
    rows.add(
        String.format(
            Locale.ROOT,
            "| %d connections | %s | %.1f KiB | %.1f KiB | %s |",
            conns,
            mode.name(),
            small / 1024.0 / conns,
            large / 1024.0 / conns,
            pools));
  }

  private static void await(Listener l) throws InterruptedException {
    if (!l.received.tryAcquire(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("no echo within 30 s");
    }
  }
}
