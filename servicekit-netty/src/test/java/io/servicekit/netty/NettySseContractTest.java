package io.servicekit.netty;

import io.servicekit.netty.contract.SseBinding;
import io.servicekit.netty.contract.SseBindingContract;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseHandler;
import java.net.URI;
import org.junit.jupiter.api.Nested;

/** The SSE binding contract against {@link NettyServer}, on epoll and on NIO. */
class NettySseContractTest {
  /** An {@link SseBinding} for {@link NettyServer}; {@code epoll(false)} forces NIO. */
  static SseBinding netty(boolean epoll) {
    return new SseBinding() {
      @Override
      public Spec server() {
        NettyServer.Builder builder = NettyServer.builder().port(0).host("localhost").epoll(epoll);
        return new Spec() {
          @Override
          public <O> Spec sse(String path, SseHandler<O> handler, SseConfig config) {
            builder.sse(path, handler, config);
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
              public void shutDown() throws Exception {
                server.stop();
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
  class OnEpoll extends SseBindingContract {
    @Override
    protected SseBinding binding() {
      return netty(true);
    }
  }

  @Nested
  class OnNio extends SseBindingContract {
    @Override
    protected SseBinding binding() {
      return netty(false);
    }
  }
}
