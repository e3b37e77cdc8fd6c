package io.servicekit.jetty;

import static io.servicekit.jetty.ConformanceServer.assertClosedWith;
import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.CloseStatus;
import io.servicekit.jetty.ConformanceServer.Opened;
import io.servicekit.testkit.RawFrame;
import io.servicekit.testkit.RawWsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JSON layer on a JSON {@link io.servicekit.WsListener} echo: bad JSON ends with a defined
 * close code and a reason (never a bare 1006), any well-formed JSON value is echoed, and client
 * heartbeat answers are absorbed before the codec.
 */
class JsonLayerConformanceTest {
  private static ConformanceServer server;

  @BeforeAll
  static void start() throws Exception {
    server = ConformanceServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static Opened json() {
    return server.open("/json");
  }

  /** Sends {@code text}; the server must close with 1007 and a reason naming invalid JSON. */
  private static CloseStatus assertInvalidJson(String text) {
    try (Opened o = json()) {
      o.client().sendText(text);
      RawWsClient.Close close = o.client().awaitClose();
      assertThat(close.frameReceived()).isTrue();
      assertThat(close.code()).as("reason %s", close.reason()).isEqualTo(1007);
      assertThat(close.reason()).startsWith("invalid JSON");
      CloseStatus server = ConformanceServer.assertServerClosedOnce(o);
      assertThat(server.code()).isEqualTo(1007);
      return server;
    }
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"{", "not json", "{\"a\":}", "{'single':'quotes'}", "[1,]", "{} {}"})
  void invalidJsonClosesWith1007AndAReason(String text) {
    assertInvalidJson(text);
  }

  @Test
  void aBinaryFrameClosesWith1003() {
    try (Opened o = json()) {
      o.client().sendBinary(new byte[] {'{', '}'});
      RawWsClient.Close close = o.client().awaitClose();
      assertThat(close.code()).isEqualTo(1003);
      assertThat(close.reason()).contains("binary");
      assertThat(ConformanceServer.assertServerClosedOnce(o).code()).isEqualTo(1003);
    }
  }

  @Test
  void tenThousandNestedArraysCloseWith1007NotADrop() {
    assertInvalidJson("[".repeat(10_000) + "]".repeat(10_000));
  }

  @Test
  void tenThousandNestedObjectsCloseWith1007NotADrop() {
    assertInvalidJson("{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000));
  }

  @Test
  void duplicateKeysCloseWith1007() {
    assertInvalidJson("{\"type\":\"a\",\"type\":\"b\"}");
  }

  @Test
  void aNumberLiteralOf2000DigitsClosesWith1007() {
    assertInvalidJson("{\"n\":" + "9".repeat(2000) + "}");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"[1,2,3]", "\"just a string\"", "42", "true", "null", "{}"})
  void aJsonValueThatIsNotAnObjectIsEchoed(String value) {
    try (Opened o = json()) {
      o.client().sendText(value);
      assertThat(o.client().awaitText()).isEqualTo(value);
    }
  }

  @Test
  void aClientPongIsAbsorbedAndTheNextMessageStillEchoes() {
    try (Opened o = json()) {
      o.client().sendText("{\"type\":\"pong\",\"pingId\":99}");
      o.client().sendText("{\"after\":\"pong\"}");
      assertThat(o.client().awaitText()).isEqualTo("{\"after\":\"pong\"}");
      assertThat(o.conn().isOpen()).isTrue();
    }
  }

  @Test
  void anUnknownTypeIsEchoed() {
    try (Opened o = json()) {
      o.client().sendText("{\"type\":\"no-such-type\",\"x\":1}");
      assertThat(o.client().awaitText()).isEqualTo("{\"type\":\"no-such-type\",\"x\":1}");
    }
  }

  @Test
  void aJsonMessageSplitAcrossFragmentsIsDecodedWhole() {
    try (Opened o = json()) {
      o.client()
          .send(
              RawFrame.text("{\"spl").fin(false),
              RawFrame.continuation(
                  "it\":true}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      assertThat(o.client().awaitText()).isEqualTo("{\"split\":true}");
    }
  }

  @Test
  void invalidUtf8OnTheJsonEndpointClosesWith1007() {
    try (Opened o = json()) {
      o.client().send(RawFrame.text(new byte[] {'"', (byte) 0xC0, (byte) 0xAF, '"'}));
      assertClosedWith(o, 1007);
    }
  }
}
