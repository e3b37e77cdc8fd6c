package io.servicekit.mcp;

import io.servicekit.jetty.StreamableServe;
import io.servicekit.streamable.StreamableConfig;
import java.time.Duration;
import org.eclipse.jetty.util.component.LifeCycle;

/**
 * Mounts an {@link McpTransport} on Jetty: {@code ServiceKitServer.builder().route("/mcp",
 * McpServe.handler(transport))}. On a graceful shutdown ({@code GracefulShutdown}) the transport's
 * running requests are answered, its streams flushed and ended ({@link McpTransport#shutdown},
 * within {@link #SHUTDOWN_GRACE}); when the handler stops (with the server), the transport's
 * sessions end and its idle sweep stops ({@link McpTransport#closeAll}).
 */
public final class McpServe {
  /**
   * How long a graceful shutdown lets running requests answer and streams flush ({@link
   * McpTransport#shutdown}) before ending them at once.
   */
  public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);

  private McpServe() {}

  /**
   * A Jetty handler for {@code transport} with {@link StreamableConfig#defaults()} (4 MiB bodies,
   * keepalive comments every 15 s).
   */
  public static StreamableServe handler(McpTransport transport) {
    return handler(transport, StreamableConfig.defaults());
  }

  /** A Jetty handler for {@code transport} with {@code config}. */
  public static StreamableServe handler(McpTransport transport, StreamableConfig config) {
    StreamableServe serve = StreamableServe.handler(transport, config);
    serve.onShutdown(() -> transport.shutdown(SHUTDOWN_GRACE));
    serve.addEventListener(
        new LifeCycle.Listener() {
          @Override
          public void lifeCycleStopped(LifeCycle event) {
            transport.closeAll();
          }
        });
    return serve;
  }
}
