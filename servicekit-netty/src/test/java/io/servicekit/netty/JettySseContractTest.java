package io.servicekit.netty;

import io.servicekit.jetty.GracefulShutdown;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.netty.contract.SseBinding;
import io.servicekit.netty.contract.SseBindingContract;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseHandler;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The SSE binding contract against the Jetty binding, the reference; its shutdown is {@link
 * GracefulShutdown}, which sends the final {@code shutdown} event.
 */
class JettySseContractTest extends SseBindingContract {
  @Override
  protected SseBinding binding() {
    return new SseBinding() {
      @Override
      public Spec server() {
        ServiceKitServer.Builder builder = ServiceKitServer.builder().port(0).host("localhost");
        return new Spec() {
          @Override
          public <O> Spec sse(String path, SseHandler<O> handler, SseConfig config) {
            builder.sse(path, handler, config);
            return this;
          }

          @Override
          public Running start() throws Exception {
            ServiceKitServer server = builder.build().start();
            return new Running() {
              @Override
              public URI uri() {
                return server.uri();
              }

              @Override
              public void shutDown() throws Exception {
                GracefulShutdown shutdown =
                    GracefulShutdown.of(server).noSignals().drainTimeout(Duration.ofSeconds(10));
                CompletableFuture<Void> done =
                    CompletableFuture.runAsync(
                        () -> {
                          try {
                            shutdown.run();
                          } catch (Exception e) {
                            throw new IllegalStateException(e);
                          }
                        });
                shutdown.ready().toCompletableFuture().get(10, TimeUnit.SECONDS);
                shutdown.trigger("test");
                done.get(20, TimeUnit.SECONDS);
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
        return "jetty";
      }
    };
  }
}
