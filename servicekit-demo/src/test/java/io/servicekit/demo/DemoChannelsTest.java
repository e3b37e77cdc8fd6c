package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The demo's channel routes over real sockets: user validation, subscribe/publish, presence, SSE,
 * the page.
 */
class DemoChannelsTest {
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
  void badUsersAreRefusedWith400NamingTheParameterAndValue() throws Exception {
    Map<String, String> cases =
        Map.of(
            "",
            "got \"\"",
            "a%20b",
            "got \"a b\"",
            "x".repeat(33),
            "got \"" + "x".repeat(33) + "\"",
            "%C3%A9",
            "got \"\u00e9\"",
            "a*b",
            "got \"a*b\"");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      assertThat(Http.rawUpgrade(server.uri(), "/ws/channels?user=" + c.getKey()))
          .as(c.getKey())
          .startsWith("HTTP/1.1 400 ")
          .contains("query parameter user must be 1-32 characters of [A-Za-z0-9_-]")
          .contains(c.getValue());
    }
    assertThat(Http.rawUpgrade(server.uri(), "/ws/channels"))
        .startsWith("HTTP/1.1 400 ")
        .contains("query parameter user must be 1-32 characters of [A-Za-z0-9_-], got none");
    // the longest and the odd-but-valid names are accepted
    try (TestWsClient ok =
        TestWsClient.connect(server.wsUri("/ws/channels?user=" + "a-_9".repeat(8)))) {
      ok.sendJson(Map.of("type", "subscribe", "id", 1, "channel", "room:x"));
      assertThat(ok.awaitJson()).containsEntry("type", "reply").containsEntry("id", 1);
    }
  }

  @Test
  void publishReachesASubscriberWithItsPosition() throws Exception {
    try (TestWsClient a = TestWsClient.connect(server.wsUri("/ws/channels?user=alice"));
        TestWsClient b = TestWsClient.connect(server.wsUri("/ws/channels?user=bob"))) {
      a.sendJson(Map.of("type", "subscribe", "id", 1, "channel", "room:t"));
      Map<String, Object> subscribed = a.awaitJson();
      assertThat(subscribed).containsEntry("type", "reply").containsEntry("id", 1);
      b.sendJson(
          Map.of("type", "publish", "id", 1, "channel", "room:t", "data", Map.of("text", "hi")));
      Map<String, Object> pub = a.awaitJson();
      assertThat(pub)
          .containsEntry("type", "pub")
          .containsEntry("channel", "room:t")
          .containsEntry("offset", 1)
          .containsEntry("data", Map.of("text", "hi"));
      Map<String, Object> ack = b.awaitJson();
      assertThat(ack).containsEntry("type", "reply").containsEntry("id", 1);
      @SuppressWarnings("unchecked")
      Map<String, Object> position = (Map<String, Object>) ack.get("data");
      assertThat(position).containsEntry("offset", 1).containsEntry("epoch", pub.get("epoch"));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void presenceJoinsAndLeavesByUser() throws Exception {
    try (TestWsClient a = TestWsClient.connect(server.wsUri("/ws/channels?user=alice"))) {
      a.sendJson(Map.of("type", "subscribe", "id", 1, "channel", "room:p", "presence", true));
      assertThat(nextOfType(a, "reply")).containsEntry("id", 1);
      // no join for the subscribe's own join (docs/channels.md): the next join is bob's
      try (TestWsClient b = TestWsClient.connect(server.wsUri("/ws/channels?user=bob"))) {
        b.sendJson(Map.of("type", "subscribe", "id", 1, "channel", "room:p", "presence", true));
        assertThat(nextOfType(a, "join"))
            .containsEntry("channel", "room:p")
            .containsEntry("user", "bob")
            .containsEntry("connections", 1);
        b.sendJson(Map.of("type", "presence", "id", 2, "channel", "room:p"));
        Map<String, Object> reply = nextOfType(b, "reply", 2);
        assertThat((Map<String, Object>) reply.get("data"))
            .containsEntry("channel", "room:p")
            .containsEntry(
                "members",
                List.of(
                    Map.of("user", "alice", "connections", 1),
                    Map.of("user", "bob", "connections", 1)));
      }
      assertThat(nextOfType(a, "leave")).containsEntry("user", "bob");
      // a bad channel name is answered, and the connection stays
      a.sendJson(Map.of("type", "presence", "id", 5, "channel", "a b"));
      assertThat(nextOfType(a, "reply", 5))
          .containsEntry("code", "bad_request")
          .extractingByKey("error")
          .asString()
          .contains("a b");
      a.sendJson(Map.of("type", "subscribe", "id", 6, "channel", "", "presence", true));
      assertThat(nextOfType(a, "reply", 6)).containsEntry("code", "bad_request");
      a.sendJson(Map.of("type", "presence", "id", 7, "channel", "room:p"));
      assertThat(nextOfType(a, "reply", 7)).doesNotContainKey("error");
    }
  }

  @Test
  void sseStreamsAChannelAndRefusesABadName() throws Exception {
    HttpResponse<String> missing = Http.get(server.uri().resolve("/channels/sse"));
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.body()).contains("query parameter channel is missing");
    HttpResponse<String> bad =
        Http.send(
            HttpRequest.newBuilder(server.uri().resolve("/channels/sse?channel=a*b"))
                .header("Accept", "text/event-stream"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("a*b");
  }

  @Test
  void thePageIsServed() throws Exception {
    HttpResponse<String> page = Http.get(server.uri().resolve("/channels.html"));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(page.body()).contains("ServiceKit.ChannelClient").contains("/ws/channels?user=");
  }

  private static Map<String, Object> nextOfType(TestWsClient c, String type) {
    return nextOfType(c, type, -1);
  }

  /** The next message of {@code type} (and {@code id}, unless -1), skipping others (e.g. join). */
  private static Map<String, Object> nextOfType(TestWsClient c, String type, int id) {
    while (true) {
      Map<String, Object> m = c.awaitJson();
      if (type.equals(m.get("type")) && (id < 0 || Integer.valueOf(id).equals(m.get("id")))) {
        return m;
      }
    }
  }
}
