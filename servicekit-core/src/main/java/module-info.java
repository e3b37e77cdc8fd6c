/**
 * ServiceKit core: connections, codecs, hubs, SSE, Streamable HTTP and the binding SPI, free of any
 * server library.
 *
 * <p>{@code io.servicekit.internal}, {@code .internal.driver}, {@code .internal.lifecycle} and
 * {@code .internal.net} are implementation details; the first (the shared validator {@code Check},
 * the write queue, the serial executor) is exported only to the ServiceKit modules that share it.
 * The drivers ({@code .internal.driver}) are not exported at all: bindings create them through
 * {@code io.servicekit.spi} ({@code WsDriver}, {@code SseDriver}, {@code StreamableDriver}).
 */
// "module": the qualified export names a module built after this one (javac cannot see it yet)
@SuppressWarnings("module")
module io.servicekit {
  requires transitive tools.jackson.databind;
  requires org.slf4j;
  requires static transitive org.jspecify; // @Nullable in signatures; not needed at run time

  exports io.servicekit;
  exports io.servicekit.broker;
  exports io.servicekit.channel;
  exports io.servicekit.middleware;
  exports io.servicekit.spi;
  exports io.servicekit.sse;
  exports io.servicekit.streamable;
  exports io.servicekit.internal to
      io.servicekit.client,
      io.servicekit.grpc,
      io.servicekit.jetty,
      io.servicekit.mcp,
      io.servicekit.netty,
      io.servicekit.redis,
      io.servicekit.testkit;
}
