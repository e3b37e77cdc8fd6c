package io.servicekit.demo.sse;

import io.servicekit.jetty.ServiceKitServer;

/** Starts a server with only the demo's routes on a free port. */
final class EventsDemoTestSupport {
  private EventsDemoTestSupport() {}

  static ServiceKitServer start(EventsDemo demo) throws Exception {
    return demo.routes(ServiceKitServer.builder().port(0)).build().start();
  }
}
