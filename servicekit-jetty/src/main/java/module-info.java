/**
 * ServiceKit's Jetty 12 binding: {@code ServiceKitServer}, the WebSocket, SSE and Streamable HTTP
 * handlers, the Jetty middleware and the optional Micrometer metrics.
 *
 * <p>{@code io.servicekit.jetty.internal} holds only the WebSocket listener that Jetty calls
 * through method handles; it is exported to Jetty's WebSocket module and to no one else.
 */
// micrometer-core is an automatic module (no module-info); its name is its Automatic-Module-Name
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.servicekit.jetty {
  requires transitive io.servicekit;
  requires transitive org.eclipse.jetty.server;
  requires transitive org.eclipse.jetty.websocket.server;
  requires transitive org.slf4j;
  requires org.eclipse.jetty.http2.server;
  requires org.eclipse.jetty.alpn.java.server;
  requires static transitive micrometer.core; // optional: only for MicrometerMetrics
  requires jdk.unsupported;

  exports io.servicekit.jetty;
  exports io.servicekit.jetty.metrics;
  exports io.servicekit.jetty.middleware;
  exports io.servicekit.jetty.internal to
      org.eclipse.jetty.websocket.common;
}
