package io.servicekit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class FakeRequestTest {
  @Test
  void defaultsAndValues() {
    FakeRequest r =
        FakeRequest.builder()
            .path("/ws/lobby")
            .host("example.com:8443")
            .header("Origin", "https://example.com")
            .header("sec-websocket-protocol", "a, b")
            .header("Sec-WebSocket-Protocol", "c")
            .query("x", "1")
            .query("x", "2")
            .pathParam("room", "lobby")
            .build();
    assertThat(r.method()).isEqualTo("GET");
    assertThat(r.scheme()).isEqualTo("http");
    assertThat(r.host()).isEqualTo("example.com:8443");
    assertThat(r.header("HOST")).contains("example.com:8443");
    assertThat(r.origin()).contains("https://example.com");
    assertThat(r.subprotocols()).containsExactly("a", "b", "c");
    assertThat(r.queryParam("x")).contains("1");
    assertThat(r.queryParams()).containsEntry("x", List.of("1", "2"));
    assertThat(r.pathParam("room")).contains("lobby");
    assertThat(r.header("missing")).isEmpty();
    assertThat(r.remoteAddress().getPort()).isEqualTo(40000);
  }

  @Test
  void aPathMustBeAbsolute() {
    assertThatThrownBy(() -> FakeRequest.builder().path("ws"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("path must start with /, got ws");
  }
}
