/**
 * ServiceKit's Netty 4.2 binding: {@link io.servicekit.netty.NettyServer} serves WebSocket and
 * Server-Sent Events routes with the same handlers, configurations and drivers as the Jetty
 * binding. Only {@code io.servicekit.netty} is API; {@code io.servicekit.netty.internal} is not
 * exported.
 */
module io.servicekit.netty {
  requires transitive io.servicekit;
  requires io.netty.common;
  requires io.netty.buffer;
  requires io.netty.transport;
  requires io.netty.codec;
  requires io.netty.codec.http;
  requires io.netty.transport.classes.epoll;
  requires org.slf4j;
  requires static org.jspecify; // @Nullable for NullAway; not needed at run time

  exports io.servicekit.netty;
}
