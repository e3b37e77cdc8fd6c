package io.servicekit.demo;

import io.servicekit.CloseStatus;
import io.servicekit.WsConnConfig;
import io.servicekit.demo.game.GameDemo;
import io.servicekit.demo.sse.EventsDemo;
import io.servicekit.jetty.ServiceKitServer;
import java.time.Duration;
import java.util.Objects;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runnable demo server: {@code PORT=8080 mvn -q -pl servicekit-demo -am compile exec:exec}.
 *
 * <table>
 * <caption>Routes</caption>
 * <tr><th>path</th><th>what</th></tr>
 * <tr><td>{@code /}</td><td>an HTML page exercising the demos from the browser ({@link StaticPageHandler})</td></tr>
 * <tr><td>{@code /echo}</td><td>raw WebSocket echo, text and binary, up to 16 MiB, any origin ({@link EchoConn})</td></tr>
 * <tr><td>{@code /ws/chat}</td><td>chat with rooms ({@link ChatService}, {@link ChatConn})</td></tr>
 * <tr><td>{@code /ws/time}</td><td>the time every second plus published messages ({@link TimeService})</td></tr>
 * <tr><td>{@code /publish?msg=}</td><td>publish to every time subscriber ({@link PublishHandler})</td></tr>
 * <tr><td>{@code /game/{id}}, {@code /ws/v1/{gameId}/...}</td><td>the gRPC game over WebSocket ({@link GameDemo})</td></tr>
 * <tr><td>{@code /healthz}</td><td>{@code {"status":"ok"}} ({@link HealthHandler})</td></tr>
 * </table>
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

  /** Starts the server on {@code $PORT} (default 8080) and runs until the JVM is stopped. */
  public static void main(String[] args) throws Exception {
    int port;
    try {
      port = parsePort(System.getenv("PORT"));
    } catch (IllegalArgumentException e) {
      System.err.println("servicekit-demo: " + e.getMessage());
      System.exit(EXIT_USAGE);
      return;
    }
    ServiceKitServer server = create(port);
    server.start();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    server.stop();
                  } catch (Exception e) {
                    LOG.warn("stop failed", e);
                  }
                },
                "demo-shutdown"));
    LOG.info("ServiceKit demo listening on {}/", server.uri());
    server.join();
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

  /** The demo server on {@code port} (0: a free one), built and not started. */
  public static ServiceKitServer create(int port) {
    return create(port, WsConnConfig.defaults().pingPeriod());
  }

  /**
   * The demo server on {@code port} with the chat and time heartbeat every {@code heartbeat} (tests
   * use a short one to see pings), built and not started.
   */
  public static ServiceKitServer create(int port, Duration heartbeat) {
    Objects.requireNonNull(heartbeat, "heartbeat");
    WsConnConfig json = WsConnConfig.builder().pingPeriod(heartbeat).build();
    ChatService chat = new ChatService();
    TimeService time = new TimeService();
    ServiceKitServer.Builder routes =
        ServiceKitServer.builder()
            .port(port)
            .route("/", new StaticPageHandler())
            .route("/healthz", new HealthHandler())
            .ws("/echo", request -> new EchoConn(), EchoConn.CONFIG)
            .ws("/ws/chat", chat, json)
            .ws("/ws/time", time, json)
            .route("/publish", new PublishHandler(time));
    // SSE: /events (resumable feed), /events/drop, /events.html
    ServiceKitServer server = GameDemo.install(EventsDemo.install(routes)).build();
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
            });
    return server;
  }
}
