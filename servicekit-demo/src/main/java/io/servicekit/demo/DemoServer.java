package io.servicekit.demo;

import io.servicekit.CloseStatus;
import io.servicekit.Scheduler;
import io.servicekit.WsConfig;
import io.servicekit.broker.Broker;
import io.servicekit.demo.game.GameDemo;
import io.servicekit.demo.mcp.McpDemo;
import io.servicekit.demo.ops.DemoOps;
import io.servicekit.demo.sse.EventsDemo;
import io.servicekit.jetty.GracefulShutdown;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.jetty.WsServe;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runnable demo server: {@code PORT=8080 mvn -q -pl servicekit-demo -am test-compile
 * exec:exec}.
 *
 * <table>
 * <caption>Routes</caption>
 * <tr><th>path</th><th>what</th></tr>
 * <tr><td>{@code /}</td><td>an HTML page exercising the demos from the browser ({@link StaticPageHandler})</td></tr>
 * <tr><td>{@code /echo}</td><td>raw WebSocket echo, text and binary, up to 16 MiB, any origin, the guard's connection limits ({@link EchoConn})</td></tr>
 * <tr><td>{@code /ws/chat}</td><td>chat with rooms ({@link ChatService}, {@link ChatConn})</td></tr>
 * <tr><td>{@code /ws/time}</td><td>the time every second plus published messages ({@link TimeService})</td></tr>
 * <tr><td>{@code /publish?msg=}</td><td>publish to every time subscriber ({@link PublishHandler})</td></tr>
 * <tr><td>{@code /game/{id}}, {@code /ws/v1/{gameId}/...}</td><td>the gRPC game over WebSocket ({@link GameDemo})</td></tr>
 * <tr><td>{@code /ws/channels?user=}, {@code /channels/sse?channel=}</td><td>channels with recovery, presence and acks; the page {@code /channels.html} ({@link ChannelsDemo})</td></tr>
 * <tr><td>{@code /mcp}</td><td>an MCP server over Streamable HTTP, local clients only ({@link McpDemo})</td></tr>
 * <tr><td>{@code /healthz}</td><td>{@code {"status":"ok"}} (the middleware {@code HealthCheck})</td></tr>
 * <tr><td>{@code /metrics}</td><td>Prometheus text (Micrometer)</td></tr>
 * </table>
 *
 * <p>With {@code SERVICEKIT_BROKER=redis://host:port} (or {@code -Dservicekit.broker=...}) several
 * demo processes on one Redis share the chat rooms, the published time messages and the {@code
 * /events} feed ({@link DemoCluster}, docs/scaling.md); an unreachable Redis or a malformed value
 * stops the demo with exit status {@value #EXIT_USAGE} and the reason.
 *
 * <p>The chat and time endpoints accept same-origin browsers (and any non-browser client), send the
 * JSON heartbeat every 30 s and expect {@code {"type":"pong","pingId":n}} back, as upstream clients
 * do.
 */
public final class DemoServer {
  private static final Logger LOG = LoggerFactory.getLogger(DemoServer.class);

  /** Port used when {@code PORT} is not set. */
  public static final int DEFAULT_PORT = 8080;

  /** Exit status for a bad {@code PORT}. */
  public static final int EXIT_USAGE = 2;

  private DemoServer() {}

  /**
   * Starts the server on {@code $PORT} (default 8080) with the production wiring of {@link DemoOps}
   * (guard, {@code /metrics}, settings from the environment) and runs until SIGTERM or SIGINT, then
   * shuts down gracefully: SSE streams get a final {@code shutdown} event, WebSockets 1001, new
   * requests 503, in-flight ones the drain timeout. Exits 0 after a clean shutdown, 1 when
   * something had to be cut, 2 for bad settings.
   */
  public static void main(String[] args) throws Exception {
    int port;
    DemoOps ops;
    try {
      port = parsePort(System.getenv("PORT"));
      ops = DemoOps.fromEnvironment();
    } catch (IllegalArgumentException e) {
      System.err.println("servicekit-demo: " + e.getMessage());
      System.exit(EXIT_USAGE);
      return;
    }
    DemoCluster cluster;
    try {
      cluster = DemoCluster.connect(DemoCluster.configured());
    } catch (RuntimeException e) { // bad URI or Redis unreachable: say so and stop
      System.err.println("servicekit-demo: " + DemoCluster.ENV + ": " + e.getMessage());
      System.exit(EXIT_USAGE);
      return;
    }
    if (cluster != null) {
      LOG.info("sharing chat, time and /events through {}", cluster.broker());
    }
    Demo demo = build(port, WsConfig.defaults().pingPeriod(), ops, cluster);
    ServiceKitServer server = demo.server().start();
    GracefulShutdown shutdown = ops.shutdown(server).onShutdown(demo.events()::closeAll);
    shutdown
        .ready()
        .thenRun(
            () -> {
              LOG.info("ServiceKit demo listening on {}/", server.uri());
              if (ops.tlsPort().isPresent()) {
                LOG.info("HTTPS with HTTP/2 on {}/ ({})", server.tlsUri(), ops.tlsSource());
              }
            });
    int status;
    try {
      GracefulShutdown.Report report = shutdown.run();
      LOG.info("stopped: {}", report.summary());
      status = 0;
    } catch (GracefulShutdown.IncompleteShutdownException e) {
      LOG.error("stopped: {}", e.getMessage());
      status = 1;
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
    System.exit(status);
  }

  /**
   * Parses the {@code PORT} environment variable: unset or blank means {@value #DEFAULT_PORT};
   * otherwise a decimal number 0-65535 (0 picks a free port, shown in the log line).
   *
   * @throws IllegalArgumentException naming the rule and the value
   */
  public static int parsePort(String value) {
    if (value == null || value.isBlank()) {
      return DEFAULT_PORT;
    }
    String v = value.strip();
    if (!v.chars().allMatch(c -> c >= '0' && c <= '9') || v.length() > 5) {
      throw new IllegalArgumentException(
          "PORT must be a decimal number from 0 to 65535, got \"" + value + "\"");
    }
    int port = Integer.parseInt(v);
    if (port > 65535) {
      throw new IllegalArgumentException("PORT must be from 0 to 65535, got " + port);
    }
    return port;
  }

  /**
   * What a built demo consists of: the server, the SSE feed (to end on shutdown), the ops wiring.
   */
  public record Demo(ServiceKitServer server, EventsDemo events, DemoOps ops) {}

  /** The demo server on {@code port} (0: a free one), built and not started. */
  public static ServiceKitServer create(int port) {
    return create(port, WsConfig.defaults().pingPeriod());
  }

  /**
   * The demo server on {@code port} with the chat and time heartbeat every {@code heartbeat} (tests
   * use a short one to see pings), with the {@link DemoOps} wiring, built and not started. Its rate
   * limit (1000/s per client address) is one a test suite connecting from one address does not hit;
   * {@link #main} takes {@code RATE_LIMIT_PER_IP} from the environment (default 20/s).
   */
  public static ServiceKitServer create(int port, Duration heartbeat) {
    return create(port, heartbeat, null);
  }

  /**
   * Like {@link #create(int, Duration)}, sharing chat rooms, published time messages and the {@code
   * /events} feed with the other processes of {@code cluster} (null: none).
   */
  public static ServiceKitServer create(int port, Duration heartbeat, DemoCluster cluster) {
    return build(port, heartbeat, DemoOps.from(Map.of("RATE_LIMIT_PER_IP", "1000")), cluster)
        .server();
  }

  /**
   * The demo with {@code ops} (guard, metrics, health, origins), sharing chat rooms, published time
   * messages and the {@code /events} feed with the other processes of {@code cluster} (null: none),
   * built and not started.
   */
  public static Demo build(int port, Duration heartbeat, DemoOps ops, DemoCluster cluster) {
    Objects.requireNonNull(heartbeat, "heartbeat");
    WsConfig json = WsConfig.builder().pingPeriod(heartbeat).originPolicy(ops.origins()).build();
    Broker broker = cluster == null ? null : cluster.broker();
    ChatService chat = new ChatService(ChatService.DEFAULT_MAX_USERS, Clock.systemUTC(), broker);
    TimeService time =
        new TimeService(Scheduler.system(), Clock.systemUTC(), TimeService.DEFAULT_PERIOD, broker);
    // The guard covers every route but /healthz and /metrics, which ops adds, and /echo: the
    // protocol-conformance endpoint stays open to any origin and any rate, but has the guard's
    // connection limits (the same limiters: MAX_CONNECTIONS in all, CONN_LIMIT_PER_IP per address).
    // /mcp
    // (McpDemo) checks Host and Origin itself, as the MCP spec requires, and is not rate limited
    // either.
    ServiceKitServer.Builder routes =
        ops.apply(ServiceKitServer.builder().port(port), "/echo", McpDemo.PATH)
            .route("/", new StaticPageHandler())
            .route(
                "/echo",
                ops.connectionLimits()
                    .wrap(WsServe.handler(request -> new EchoConn(), EchoConn.CONFIG)))
            .ws("/ws/chat", chat, json)
            .ws("/ws/time", time, json)
            .route("/publish", new PublishHandler(time));
    // SSE: /events (resumable feed), /events/drop, /events.html
    EventsDemo events =
        new EventsDemo(Duration.ofSeconds(1), Duration.ofSeconds(2), Scheduler.system(), cluster);
    McpDemo.routes(routes); // MCP Streamable HTTP at /mcp
    ChannelsDemo channels = new ChannelsDemo(cluster);
    channels.routes(routes, json); // /ws/channels, /channels/sse
    ServiceKitServer server = GameDemo.install(events.routes(routes)).build();
    server
        .jetty()
        .addEventListener(
            new LifeCycle.Listener() {
              @Override
              public void lifeCycleStarted(LifeCycle event) {
                time.start();
              }

              @Override
              public void lifeCycleStopping(LifeCycle event) {
                time.stop();
                chat.hub().closeAll(CloseStatus.of(CloseStatus.GOING_AWAY, "server shutting down"));
              }

              @Override
              public void lifeCycleStopped(LifeCycle event) {
                ops.metrics().close(); // the GC listener of the JVM binders
                channels.close();
              }
            });
    return new Demo(server, events, ops);
  }
}
