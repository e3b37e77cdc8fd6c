package io.servicekit.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.epoll.Epoll;
import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.netty.contract.WsBinding;
import io.servicekit.netty.contract.WsBindingContract;
import java.net.URI;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The binding contract against {@link NettyServer}, on epoll and on NIO. */
class NettyWsContractTest {
  /** A {@link WsBinding} for {@link NettyServer}; {@code epoll(false)} forces NIO. */
  static WsBinding netty(boolean epoll) {
    return new WsBinding() {
      @Override
      public Spec server() {
        NettyServer.Builder builder = NettyServer.builder().port(0).host("localhost").epoll(epoll);
        return new Spec() {
          @Override
          public <I, O> Spec ws(String path, WsHandler<I, O> handler, WsConfig config) {
            builder.ws(path, handler, config);
            return this;
          }

          @Override
          public Running start() throws Exception {
            NettyServer server = builder.build().start();
            return new Running() {
              @Override
              public URI uri() {
                return server.uri();
              }

              @Override
              public void close() throws Exception {
                server.stop();
              }
            };
          }
        };
      }

      @Override
      public String name() {
        return epoll ? "netty-epoll" : "netty-nio";
      }
    };
  }

  @Nested
  class OnEpoll extends WsBindingContract {
    @Override
    protected WsBinding binding() {
      return netty(true);
    }

    @Test
    void epollLoadsOnThisMachine() throws Exception {
      try (NettyServer server = NettyServer.builder().port(0).build().start()) {
        assertThat(server.ioTransport())
            .as("Epoll unavailable: %s", Epoll.unavailabilityCause())
            .isEqualTo("epoll");
      }
    }
  }

  @Nested
  class OnNio extends WsBindingContract {
    @Override
    protected WsBinding binding() {
      return netty(false);
    }
  }
}
