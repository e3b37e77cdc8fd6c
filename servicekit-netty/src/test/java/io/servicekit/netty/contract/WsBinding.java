package io.servicekit.netty.contract;

import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import java.net.URI;

/**
 * The seam the binding contract runs through: how a test starts a server with WebSocket routes on
 * one binding. A binding test class implements {@link WsBindingContract#binding()} with one of
 * these; nothing else in the contract knows which server it talks to.
 */
public interface WsBinding {
  /** A server being configured. */
  interface Spec {
    /** Adds a WebSocket route. */
    <I, O> Spec ws(String path, WsHandler<I, O> handler, WsConfig config);

    /** Starts the server on a free loopback port. */
    Running start() throws Exception;
  }

  /** A started server. */
  interface Running extends AutoCloseable {
    /** {@code http://host:port}. */
    URI uri();

    /** {@code ws://host:port} + {@code pathAndQuery}. */
    default URI wsUri(String pathAndQuery) {
      return URI.create("ws://" + uri().getAuthority() + pathAndQuery);
    }

    /** Stops the server (open connections are closed or dropped). */
    @Override
    void close() throws Exception;
  }

  /** A fresh server spec. */
  Spec server();

  /** A name for test reports. */
  String name();
}
