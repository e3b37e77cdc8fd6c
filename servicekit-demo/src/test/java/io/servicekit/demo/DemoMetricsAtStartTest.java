package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.jetty.ServiceKitServer;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A freshly started demo's {@code /metrics} already lists the ServiceKit meters of every WebSocket
 * and SSE route at zero, plus the JVM and process meters, before any connection.
 */
class DemoMetricsAtStartTest {
  private ServiceKitServer server;

  @BeforeEach
  void start() throws Exception {
    server = DemoServer.create(0).start();
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
  }

  @Test
  void metricsShowZeroValuedRouteMetersAndJvmMetersAtStart() throws Exception {
    HttpResponse<String> response = Http.get(server.uri().resolve("/metrics"));
    assertThat(response.statusCode()).isEqualTo(200);
    String text = response.body();

    for (String route : new String[] {"/echo", "/ws/chat", "/ws/time"}) {
      String tags = "kind=\"websocket\",route=\"" + route + "\"";
      assertThat(text)
          .contains("servicekit_connections_active{" + tags + "} 0.0")
          .contains("servicekit_connections_opened_total{" + tags + "} 0.0")
          .contains("servicekit_connection_duration_seconds_count{" + tags + "} 0")
          .contains("servicekit_messages_dropped_total{" + tags + "} 0.0")
          .contains("servicekit_slow_consumer_closes_total{" + tags + "} 0.0")
          .contains("servicekit_messages_total{direction=\"in\"," + tags + "} 0.0")
          .contains("servicekit_bytes_total{direction=\"out\"," + tags + "} 0.0");
    }
    assertThat(text)
        .contains("servicekit_connections_active{kind=\"sse\",route=\"/events\"} 0.0")
        .contains("jvm_memory_used_bytes{")
        .contains("jvm_gc_")
        .contains("jvm_threads_live_threads")
        .contains("jvm_classes_loaded_classes")
        .contains("process_cpu_usage")
        .contains("process_uptime_seconds")
        .contains("process_files_open_files");
  }
}
