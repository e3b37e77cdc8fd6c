package io.servicekit.examples;

import io.servicekit.Codec;
import io.servicekit.JsonCodec;
import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.jetty.ServiceKitServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * README "Basic Usage → 1. Simple Echo Server" in Java: every JSON message is sent back as it came.
 *
 * <pre>{@code
 * try (ServiceKitServer server = EchoExample.server(8080).start()) {
 *   server.join();
 * }
 * }</pre>
 *
 * <p>What differs from the Go sample, and why:
 *
 * <ul>
 *   <li>The Go {@code EchoHandler} struct becomes a {@link WsHandler} lambda, and {@code EchoConn}
 *       gets its codec and name from the listener's {@code codec()} and {@code name()} instead of
 *       struct literals.
 *   <li>Go ignores the result of {@code Writer.Send}. {@link io.servicekit.WsSession#send} returns
 *       whether the echo was queued; {@code false} means the connection is closing or its
 *       slow-consumer policy refused the message (the default policy then closes it with 1008), so
 *       the echo logs it instead of pretending it was sent.
 *   <li>Go logs every message at info level ({@code log.Printf("Received: %v", msg)}), which copies
 *       client data into the logs; here a debug line without the payload.
 *   <li>Invalid JSON closes the connection with 1007 and a reason. In Go the decode error stops the
 *       reader and the server answers nothing.
 *   <li>The Go default configuration accepts every {@code Origin}; {@link WsConfig#defaults()}
 *       accepts same-origin browser pages and non-browser clients (which send no {@code Origin}).
 * </ul>
 */
public final class EchoExample {
  private static final Logger LOG = LoggerFactory.getLogger(EchoExample.class);

  /** The endpoint's path. */
  public static final String PATH = "/echo";

  private EchoExample() {}

  /** Echoes every JSON message back to its sender. */
  public static final class EchoConn implements WsListener<Object, Object> {
    @Override
    public Codec<Object, Object> codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "EchoConn";
    }

    /** A connection named {@code EchoConn}. */
    public EchoConn() {}

    @Override
    public void onMessage(WsSession<Object> session, Object message) {
      LOG.debug("{} received a message", this);
      if (!session.send(message)) {
        LOG.debug("{}: echo not queued, the connection is closing", this);
      }
    }
  }

  /** Accepts every request: add authentication here in production (see {@link AuthExample}). */
  public static WsHandler<Object, Object> handler() {
    return request -> new EchoConn();
  }

  /** A server with the echo endpoint at {@link #PATH}, default configuration; not started. */
  public static ServiceKitServer server(int port) {
    return server(port, WsConfig.defaults());
  }

  /** A server with the echo endpoint at {@link #PATH}; not started. */
  public static ServiceKitServer server(int port, WsConfig config) {
    return ServiceKitServer.builder().port(port).ws(PATH, handler(), config).build();
  }

  /** Runs the echo server on port 8080 until the process is stopped. */
  public static void main(String[] args) throws Exception {
    try (ServiceKitServer server = server(8080).start()) {
      LOG.info("Echo server listening on {}", server.wsUri(PATH));
      server.join();
    }
  }
}
