package io.servicekit.testkit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The test clients' builders refuse bad values at once, before anything connects. */
class TestClientBuildersTest {
  private static final URI URI_ = URI.create("ws://127.0.0.1:1/ws");

  @Test
  void testWsClientBuilderRefusesBadValues() {
    assertThatThrownBy(() -> TestWsClient.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("uri");
    TestWsClient.Builder b = TestWsClient.builder(URI_);
    assertThatThrownBy(() -> b.header(" ", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("header name must not be blank, was \" \"");
    assertThatThrownBy(() -> b.header("Origin", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("header value");
    assertThatThrownBy(() -> b.subprotocol(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("subprotocol must not be blank, was \"\"");
  }

  @Test
  void testSseClientBuilderRefusesBadValues() {
    assertThatThrownBy(() -> TestSseClient.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("uri");
    TestSseClient.Builder b = TestSseClient.builder(URI.create("http://127.0.0.1:1/events"));
    assertThatThrownBy(() -> b.header("", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("header name must not be blank, was \"\"");
    assertThatThrownBy(() -> b.initialRetry(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("initialRetry must be at least 1 ms, was PT0S");
    assertThatThrownBy(() -> b.initialRetry(Duration.ofMillis(-5)))
        .hasMessage("initialRetry must be at least 1 ms, was PT-0.005S");
    assertThatThrownBy(() -> b.lastEventId(null)).hasMessage("lastEventId");
    assertThatThrownBy(() -> b.scheduler(null)).hasMessage("scheduler");
  }
}
