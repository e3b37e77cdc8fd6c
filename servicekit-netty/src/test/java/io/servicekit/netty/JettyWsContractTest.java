package io.servicekit.netty;

import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.netty.contract.WsBinding;
import io.servicekit.netty.contract.WsBindingContract;
import java.net.URI;

/**
 * The binding contract against the Jetty binding, the reference: a contract test that fails here
 * describes Jetty wrongly, not Netty.
 */
class JettyWsContractTest extends WsBindingContract {
  @Override
  protected WsBinding binding() {
    return new WsBinding() {
      @Override
      public Spec server() {
        ServiceKitServer.Builder builder = ServiceKitServer.builder().port(0).host("localhost");
        return new Spec() {
          @Override
          public <I, O> Spec ws(String path, WsHandler<I, O> handler, WsConfig config) {
            builder.ws(path, handler, config);
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
