package io.servicekit.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.StringValue;
import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.servicekit.CloseStatus;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A call that cannot be opened (upstream §13.2 CreateStreamError): the call is opened after the
 * upgrade, so instead of the Go library's 500 the client gets one error envelope, then close 1011.
 */
class OpenFailureTest {
  @Test
  void aCallThatCannotBeOpenedAnswersAnErrorEnvelopeThenCloses1011() throws Exception {
    try (ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .ws(
                "/ticks",
                ServerStreamHandler.<Timestamp, Timestamp>of(
                    r -> Timestamp.getDefaultInstance(),
                    (request, responses) -> {
                      throw Status.UNAVAILABLE.withDescription("backend down").asRuntimeException();
                    }))
            .ws(
                "/chat",
                BidiStreamHandler.<StringValue, StringValue>of(
                    StringValue.getDefaultInstance(),
                    (request, responses) -> {
                      throw new IllegalStateException("no channel");
                    }))
            .build()
            .start()) {
      try (TestWsClient c = TestWsClient.connect(server.wsUri("/ticks"))) {
        assertThat(c.awaitJson())
            .isEqualTo(
                Map.of(
                    "type", "error", "error", "UNAVAILABLE: backend down", "code", "UNAVAILABLE"));
        TestWsClient.Close close = c.awaitClose();
        assertThat(close.code()).isEqualTo(CloseStatus.INTERNAL_ERROR);
        assertThat(close.reason()).isEqualTo("upstream call could not be opened");
      }
      try (TestWsClient c = TestWsClient.connect(server.wsUri("/chat"))) {
        assertThat(c.awaitJson())
            .containsEntry("type", "error")
            .containsEntry("code", "UNKNOWN")
            .containsEntry("error", "UNKNOWN: java.lang.IllegalStateException: no channel");
        assertThat(c.awaitClose().code()).isEqualTo(CloseStatus.INTERNAL_ERROR);
      }
    }
  }
}
