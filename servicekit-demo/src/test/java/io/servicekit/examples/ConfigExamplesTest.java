package io.servicekit.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.OriginPolicy;
import io.servicekit.Request;
import io.servicekit.WsConfig;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.FakeRequest;
import io.servicekit.testkit.TestWsClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigExamplesTest {
  /** A handshake to {@code host} carrying {@code origin} (none if null). */
  private static Request handshake(String host, String origin) {
    FakeRequest.Builder b = FakeRequest.builder().scheme("https").host(host).path("/ws");
    if (origin != null) {
      b.header("Origin", origin);
    }
    return b.build();
  }

  private static final String HOST = "api.yourdomain.com";

  private static boolean allows(WsConfig config, String origin) {
    OriginPolicy policy = config.originPolicy();
    Request request = handshake(HOST, origin);
    assertThat(policy.allows(origin, request)).isEqualTo(policy.check(request));
    return policy.allows(origin, request);
  }

  @Test
  void customConfigurationHasTheReadmeValues() {
    WsConfig config = ConfigExamples.customConfig();
    assertThat(config.pingPeriod()).isEqualTo(Duration.ofSeconds(25));
    assertThat(config.pongPeriod()).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.readBufferSize()).isEqualTo(4096);
    assertThat(config.writeBufferSize()).isEqualTo(4096);
    assertThat(allows(config, "https://yourdomain.com")).isTrue();
    assertThat(allows(config, "https://" + HOST)).as("same origin").isTrue();
    assertThat(allows(config, "https://app.yourdomain.com")).isFalse();
    assertThat(allows(config, "https://evil.example")).isFalse();
    assertThat(config.originPolicy().check(handshake(HOST, null)))
        .as("non-browser client without Origin")
        .isTrue();
  }

  @Test
  void productionIsConservativeAndAllowsOnlyTheListedOrigins() {
    WsConfig config = ConfigExamples.forEnvironment("production");
    assertThat(config.pingPeriod()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.pongPeriod()).isEqualTo(Duration.ofSeconds(60));
    assertThat(allows(config, "https://yourdomain.com")).isTrue();
    assertThat(allows(config, "https://app.yourdomain.com")).isTrue();
    assertThat(allows(config, "https://" + HOST)).as("same origin").isTrue();
    assertThat(allows(config, "https://evil.example")).isFalse();
    assertThat(allows(config, "http://yourdomain.com")).as("other scheme").isFalse();
    assertThat(allows(config, "https://yourdomain.com.evil.example")).isFalse();
    assertThat(allows(config, "https://other.yourdomain.com")).isFalse();
    assertThat(allows(config, "null")).isFalse();
    // Everything else keeps the library defaults.
    assertThat(config.maxMessageSize()).isEqualTo(WsConfig.defaults().maxMessageSize());
  }

  @Test
  void developmentIsLenientOnTimingButKeepsTheSameOriginCheck() {
    WsConfig config = ConfigExamples.forEnvironment("development");
    assertThat(config.pingPeriod()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.pongPeriod()).isEqualTo(Duration.ofSeconds(30));
    assertThat(allows(config, "https://" + HOST)).isTrue();
    assertThat(allows(config, "https://yourdomain.com")).isFalse();
    assertThat(allows(config, "https://evil.example")).isFalse();
  }

  @Test
  void environmentNamesAreCheckedNotGuessed() {
    assertThat(ConfigExamples.forEnvironment(null).pingPeriod()).isEqualTo(Duration.ofSeconds(10));
    assertThat(ConfigExamples.forEnvironment(" ").pingPeriod()).isEqualTo(Duration.ofSeconds(10));
    assertThat(ConfigExamples.forEnvironment(" Production ").pingPeriod())
        .isEqualTo(Duration.ofSeconds(30));
    assertThatThrownBy(() -> ConfigExamples.forEnvironment("prod"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown environment 'prod': expected production or development");
  }

  @Test
  void productionServerRefusesForeignOriginsWith403() throws Exception {
    try (ServiceKitServer server =
        ConfigExamples.server(0, ConfigExamples.forEnvironment("production")).start()) {
      assertThatThrownBy(
              () ->
                  TestWsClient.builder(server.wsUri("/ws"))
                      .header("Origin", "https://evil.example")
                      .connect())
          .isInstanceOfSatisfying(
              TestWsClient.HandshakeFailed.class,
              e -> {
                assertThat(e.status()).isEqualTo(403);
                assertThat(e.body()).contains("origin not allowed");
              });

      for (String origin : ConfigExamples.PRODUCTION_ORIGINS) {
        try (TestWsClient client =
            TestWsClient.builder(server.wsUri("/ws")).header("Origin", origin).connect()) {
          client.sendText("{\"from\":\"" + origin + "\"}");
          assertThat(client.awaitText()).isEqualTo("{\"from\":\"" + origin + "\"}");
        }
      }
      try (TestWsClient noOrigin = TestWsClient.connect(server.wsUri("/ws"))) {
        noOrigin.sendText("1");
        assertThat(noOrigin.awaitText()).isEqualTo("1");
      }
    }
  }
}
