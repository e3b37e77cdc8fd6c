/**
 * ServiceKit's Jetty 12 binding: {@code ServiceKitServer}, the WebSocket, SSE and Streamable HTTP
 * handlers, the Jetty middleware and the optional Micrometer metrics.
 *
 * <p>The WebSocket listener Jetty calls ({@code JettyTransport}) is a public class of {@code
 * io.servicekit.jetty} with package-private constructors: Jetty 12 finds its methods with a public
 * lookup, which a qualified export does not satisfy.
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
  requires static transitive org.jspecify; // @Nullable in signatures; not needed at run time
  requires jdk.unsupported;

  exports io.servicekit.jetty;
  exports io.servicekit.jetty.metrics;
  exports io.servicekit.jetty.middleware;
}
