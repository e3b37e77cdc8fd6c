package io.servicekit.demo.sse;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.Scheduler;
import io.servicekit.demo.NodeProject;
import io.servicekit.jetty.ServiceKitServer;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An independent client: the npm {@code eventsource} package (4.1.1, Node 20) reads the demo feed,
 * which ends its stream every 7 ticks; the client reconnects with {@code Last-Event-ID} while the
 * feed keeps ticking, and must see contiguous ids — nothing lost, nothing twice.
 *
 * <p>Needs {@code node} and {@code npm} on the PATH; installs the pinned package with {@code npm
 * ci} into {@code src/test/node-sse/node_modules} when it is missing.
 */
class NodeEventSourceResumeTest {
  private static final Duration PROCESS_TIMEOUT = Duration.ofMinutes(3);

  private static NodeProject project;

  @BeforeAll
  static void installEventSource() throws Exception {
    project = NodeProject.installed("node-sse", "eventsource");
  }

  @Test
  void eventsourcePackageResumesWithoutLossOrDuplicates() throws Exception {
    // A tick every 20 ms and a 100 ms retry: about 5 ticks happen while the client is away.
    EventsDemo demo =
        new EventsDemo(Duration.ofMillis(20), Duration.ofMillis(100), Scheduler.system());
    try (ServiceKitServer server =
        demo.routes(ServiceKitServer.builder().port(0)).build().start()) {
      String url = server.uri().resolve("/events?closeAfter=7").toString();
      NodeProject.Result r = project.node(PROCESS_TIMEOUT, "resume.mjs", url, "60", "5");
      assertThat(r.exit()).as("node resume.mjs said:%n%s", r.output()).isZero();
      assertThat(r.stdout()).contains("\"ok\":true").contains("\"problems\":[]");
    }
  }
}
