package io.servicekit.mcp;

import io.servicekit.jetty.StreamableServe;
import io.servicekit.streamable.StreamableConfig;

/**
 * Mounts an {@link McpTransport} on Jetty: {@code ServiceKitServer.builder().route("/mcp",
 * McpServe.handler(transport))}.
 */
public final class McpServe {
  private McpServe() {}

  /**
   * A Jetty handler for {@code transport} with {@link StreamableConfig#defaults()} (4 MiB bodies,
   * keepalive comments every 15 s).
   */
  public static StreamableServe handler(McpTransport transport) {
    return StreamableServe.handler(transport, StreamableConfig.defaults());
  }

  /** A Jetty handler for {@code transport} with {@code config}. */
  public static StreamableServe handler(McpTransport transport, StreamableConfig config) {
    return StreamableServe.handler(transport, config);
  }
}
