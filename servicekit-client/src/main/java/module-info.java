/** ServiceKit clients: WebSocket, SSE, Streamable HTTP and gRPC-over-WebSocket on java.net.http. */
module io.servicekit.client {
  requires static transitive org.jspecify; // @Nullable in signatures; not needed at run time
  requires transitive io.servicekit;
  requires transitive java.net.http;
  requires org.slf4j;

  exports io.servicekit.client;
}
