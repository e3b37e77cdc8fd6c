package io.servicekit.examples;

import io.servicekit.Codec;
import io.servicekit.JsonCodec;
import io.servicekit.MessageRejectedException;
import io.servicekit.Scheduler;
import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.jetty.ServiceKitServer;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * README "Advanced Features → 2. Custom Ping-Pong Handling" in Java: a connection with its own ping
 * format that measures the round-trip latency from the client's pongs and answers client pings.
 *
 * <pre>{@code
 * CustomPingPongExample app = new CustomPingPongExample(InstantSource.system(),
 *     (connId, pingId, latency) -> log.info("{} ping {}: {}", connId, pingId, latency));
 * try (ServiceKitServer server = app.server(8080, CustomPingPongExample.config(Scheduler.system()))
 *     .start()) {
 *   server.join();
 * }
 * }</pre>
 *
 * <p>Wire format: the server pings with {@code {"type":"ping","pingId":n,"timestamp":s,
 * "connId":".."}} every 25 s; the client answers {@code {"type":"pong","pingId":n}}. A client may
 * ping with {@code {"type":"ping","pingId":n}} and gets {@code {"type":"pong","pingId":n,
 * "timestamp":s}}. Other messages go to the business logic, which here echoes them.
 *
 * <p>What differs from the Go sample, and why:
 *
 * <ul>
 *   <li>{@link #config} turns {@link WsConfig.Builder#absorbPongs(boolean) absorbPongs} off:
 *       ServiceKit for Java normally absorbs client pongs before the codec (so binary codecs
 *       survive them), but this connection wants to see them to measure latency. Any message, pongs
 *       included, still counts as liveness.
 *   <li>Go's {@code pingCount} and {@code lastPingTime} are written by the ping goroutine and read
 *       by the message handler without synchronisation (a data race). {@code sendPing} runs on the
 *       scheduler and {@code onMessage} on the connection's callback thread, so here the count is
 *       an {@link AtomicLong} and the last ping an immutable record in a {@code volatile} field.
 *   <li>Latency is measured on the endpoint's {@link Scheduler} clock (monotonic, and fake in
 *       tests) instead of wall-clock time, and only for the pong of the latest ping: a late pong
 *       for an older ping is ignored rather than producing a wrong latency.
 *   <li>{@code int64(msgMap["pingId"].(float64))} panics in Go when {@code pingId} is missing; here
 *       a pong without a numeric {@code pingId} is answered with the error envelope.
 *   <li>The results of sends are checked instead of ignored, and latencies go to a {@link
 *       LatencyListener} instead of the log.
 *   <li>{@code onTimeout} closes with 1001 and a reason; Go drops the TCP connection without a
 *       close frame.
 * </ul>
 */
public final class CustomPingPongExample {
  private static final Logger LOG = LoggerFactory.getLogger(CustomPingPongExample.class);

  /** The endpoint's path. */
  public static final String PATH = "/ws";

  /** Server ping interval of {@link #config}. */
  public static final Duration PING_PERIOD = Duration.ofSeconds(25);

  /** Silence after which {@link #config} times a connection out. */
  public static final Duration PONG_PERIOD = Duration.ofSeconds(60);

  private final InstantSource clock;
  private final LatencyListener listener;

  /** Receives the round-trip time of each answered ping. Called on connection threads. */
  @FunctionalInterface
  public interface LatencyListener {
    /**
     * The client answered ping {@code pingId} of connection {@code connId} after {@code latency}.
     */
    void pong(String connId, long pingId, Duration latency);
  }

  /**
   * @param clock the source of the {@code timestamp} fields
   * @param listener receives measured latencies
   */
  public CustomPingPongExample(InstantSource clock, LatencyListener listener) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * The endpoint configuration: ping every 25 s, time out after 60 s of silence, client pongs
   * delivered to {@code onMessage}.
   *
   * @param scheduler the time source ({@link Scheduler#system()}, or a fake in tests)
   */
  public static WsConfig config(Scheduler scheduler) {
    return WsConfig.builder()
        .pingPeriod(PING_PERIOD)
        .pongPeriod(PONG_PERIOD)
        .absorbPongs(false)
        .scheduler(scheduler)
        .build();
  }

  private record SentPing(long id, long nanoTime) {}

  /** A connection with its own ping format and latency measurement. */
  public static final class CustomConn implements WsListener<Object, Object> {
    // Set by onOpen, before any other callback.
    private volatile WsSession<Object> session;

    @Override
    public void onOpen(WsSession<Object> session) {
      this.session = session;
    }

    @Override
    public Codec<Object, Object> codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "CustomConn";
    }

    private final InstantSource clock;
    private final Scheduler scheduler;
    private final LatencyListener listener;
    private final AtomicLong pingCount = new AtomicLong();
    private volatile SentPing lastPing;

    CustomConn(InstantSource clock, Scheduler scheduler, LatencyListener listener) {
      this.clock = clock;
      this.scheduler = scheduler;
      this.listener = listener;
    }

    /** Pings sent so far. */
    public long pingCount() {
      return pingCount.get();
    }

    /** Sends {@code {"type":"ping","pingId":n,"timestamp":s,"connId":".."}}; never blocks. */
    @Override
    public void onHeartbeat(WsSession<Object> session, long pingId) {
      long id = pingCount.incrementAndGet();
      lastPing = new SentPing(id, scheduler.nanoTime());
      Map<String, Object> ping = new LinkedHashMap<>();
      ping.put("type", "ping");
      ping.put("pingId", id);
      ping.put("timestamp", clock.instant().getEpochSecond());
      ping.put("connId", session.id());
      if (!session.send(ping)) {
        LOG.debug("{}: ping {} not queued, the connection is closing", this, id);
      }
    }

    @Override
    public void onMessage(WsSession<Object> session, Object message) {
      Map<String, Object> msg = Messages.object(message);
      switch (Messages.string(msg, "type")) {
        case "pong" -> handlePong(msg);
        case "ping" -> {
          Map<String, Object> pong = new LinkedHashMap<>();
          pong.put("type", "pong");
          pong.put("pingId", msg.get("pingId"));
          pong.put("timestamp", clock.instant().getEpochSecond());
          session.send(pong);
        }
        default -> handleBusinessLogic(msg);
      }
    }

    private void handlePong(Map<String, Object> msg) {
      if (!(msg.get("pingId") instanceof Number n)) {
        throw new MessageRejectedException(
            "a pong needs a numeric \"pingId\", got " + msg.get("pingId"));
      }
      long now = scheduler.nanoTime();
      SentPing sent = lastPing;
      if (sent == null || sent.id() != n.longValue()) {
        LOG.debug("{}: pong for ping {} ignored, the latest ping is {}", this, n, sent);
        return;
      }
      listener.pong(session.id(), sent.id(), Duration.ofNanos(now - sent.nanoTime()));
    }

    private void handleBusinessLogic(Map<String, Object> msg) {
      session.send(msg);
    }

    /** Logs and closes (1001). */
    @Override
    public boolean onTimeout(WsSession<Object> session) {
      LOG.info("Connection {} timed out after {} pings", session.id(), pingCount.get());
      return true;
    }
  }

  /** Creates connections that use {@code config}'s scheduler to measure latency. */
  public WsHandler<Object, Object> handler(WsConfig config) {
    Scheduler scheduler = config.scheduler();
    return request -> new CustomConn(clock, scheduler, listener);
  }

  /** A server with the endpoint at {@link #PATH}; not started. */
  public ServiceKitServer server(int port, WsConfig config) {
    return ServiceKitServer.builder().port(port).ws(PATH, handler(config), config).build();
  }

  /** Runs the server on port 8080, logging latencies, until the process is stopped. */
  public static void main(String[] args) throws Exception {
    CustomPingPongExample app =
        new CustomPingPongExample(
            InstantSource.system(),
            (connId, pingId, latency) ->
                LOG.info("Received pong for ping {} of {}, latency: {}", pingId, connId, latency));
    try (ServiceKitServer server = app.server(8080, config(Scheduler.system())).start()) {
      LOG.info("Ping-pong server listening on {}", server.wsUri(PATH));
      server.join();
    }
  }
}
