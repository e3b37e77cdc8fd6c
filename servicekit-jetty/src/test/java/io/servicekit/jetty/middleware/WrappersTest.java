package io.servicekit.jetty.middleware;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.jetty.Responses;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The shared wrapper behind the hand-written middleware keeps {@code Handler.Wrapper}'s contract:
 * the next handler is its managed child, passing on reaches it, answering stops the chain, and no
 * next handler means "not handled".
 */
class WrappersTest {
  private Server server;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.stop();
    }
  }

  private int start(Handler handler) throws Exception {
    server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setPort(0);
    server.addConnector(connector);
    server.setHandler(handler);
    server.start();
    return connector.getLocalPort();
  }

  @Test
  void passingOnReachesTheNextHandlerWhichIsAManagedChild() throws Exception {
    Handlers.Ok inner = Handlers.ok();
    AtomicReference<String> seen = new AtomicReference<>();
    Handler wrapped =
        Wrappers.around(
            inner,
            (request, response, callback, next) -> {
              seen.set(request.getHttpURI().getPath());
              response.getHeaders().put("X-Step", "ran");
              return next.handle(request, response, callback);
            });
    assertThat(wrapped).isInstanceOf(Handler.Wrapper.class);
    assertThat(((Handler.Wrapper) wrapped).getHandler()).isSameAs(inner);
    assertThat(wrapped.getInvocationType()).isEqualTo(inner.getInvocationType());

    int port = start(wrapped);
    assertThat(inner.isStarted()).as("the server's lifecycle reaches the next handler").isTrue();
    Http.Reply reply = Http.get(port, "/a/b");
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.body()).isEqualTo("ok");
    assertThat(reply.header("X-Step")).isEqualTo("ran");
    assertThat(seen.get()).isEqualTo("/a/b");
    assertThat(inner.calls.get()).isEqualTo(1);
  }

  @Test
  void answeringStopsTheChain() throws Exception {
    Handlers.Ok inner = Handlers.ok();
    int port =
        start(
            Wrappers.around(
                inner,
                (request, response, callback, next) -> {
                  Responses.json(response, callback, 429, "{\"error\":\"refused here\"}");
                  return true;
                }));
    Http.Reply reply = Http.get(port, "/");
    assertThat(reply.status()).isEqualTo(429);
    assertThat(reply.body()).isEqualTo("{\"error\":\"refused here\"}\n");
    assertThat(inner.calls.get()).isZero();
  }

  @Test
  void withoutANextHandlerPassingOnIsNotHandled() throws Exception {
    int port =
        start(
            Wrappers.around(
                null,
                (request, response, callback, next) -> next.handle(request, response, callback)));
    assertThat(Http.get(port, "/").status()).isEqualTo(404);
  }
}
