package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.WsConfig;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.TestWsClient;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TimeTest {
  private ServiceKitServer server;

  @BeforeEach
  void start() throws Exception {
    server = DemoServer.create(0).start();
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
  }

  /** Subscribes and waits for the time message sent on start (so the hub has registered it). */
  private TestWsClient subscribe(ServiceKitServer on) {
    TestWsClient client = TestWsClient.connect(on.wsUri("/ws/time"));
    assertThat(client.awaitJson()).containsEntry("type", "time");
    return client;
  }

  private URI publishUri(String msg) {
    return server.uri().resolve("/publish?msg=" + URLEncoder.encode(msg, StandardCharsets.UTF_8));
  }

  @Test
  void ticksArriveEverySecond() {
    try (TestWsClient client = TestWsClient.connect(server.wsUri("/ws/time"))) {
      List<Instant> times = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Map<String, Object> tick = client.awaitJson();
        assertThat(tick).containsOnlyKeys("type", "time").containsEntry("type", "time");
        times.add(Instant.parse((String) tick.get("time")));
      }
      assertThat(times).isSorted();
    }
  }

  @Test
  void publishFansOutToEverySubscriber() throws Exception {
    try (TestWsClient one = subscribe(server);
        TestWsClient two = subscribe(server)) {
      HttpResponse<String> response = Http.get(publishUri("hello \u2603 & more"));
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
      assertThat(Http.json(response)).isEqualTo(Map.of("delivered", 2));
      for (TestWsClient client : List.of(one, two)) {
        assertThat(client.awaitJsonOfType("published"))
            .isEqualTo(Map.of("type", "published", "msg", "hello \u2603 & more"));
      }

      // POST with a form body works too.
      HttpResponse<String> post =
          Http.send(
              HttpRequest.newBuilder(server.uri().resolve("/publish"))
                  .header("Content-Type", "application/x-www-form-urlencoded")
                  .POST(HttpRequest.BodyPublishers.ofString("msg=from+a+form")));
      assertThat(post.statusCode()).isEqualTo(200);
      assertThat(Http.json(post)).isEqualTo(Map.of("delivered", 2));
      for (TestWsClient client : List.of(one, two)) {
        assertThat(client.awaitJsonOfType("published")).containsEntry("msg", "from a form");
      }

      two.close(1000, "bye");
      two.awaitClose();
    }
  }

  @Test
  void publishWithoutSubscribersDeliversToNobody() throws Exception {
    HttpResponse<String> response = Http.get(publishUri("anyone?"));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Http.json(response)).isEqualTo(Map.of("delivered", 0));
  }

  @Test
  void publishRejectsBadRequests() throws Exception {
    for (String query : new String[] {"", "?msg=", "?other=1"}) {
      HttpResponse<String> response = Http.get(server.uri().resolve("/publish" + query));
      assertThat(response.statusCode()).as(query).isEqualTo(400);
      assertThat(Http.json(response))
          .isEqualTo(Map.of("error", "msg is required and must not be empty"));
    }
    HttpResponse<String> tooLong = Http.get(publishUri("m".repeat(2001)));
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(Http.json(tooLong))
        .isEqualTo(Map.of("error", "msg must be at most 2000 characters, got 2001"));
    for (String method : new String[] {"PUT", "DELETE", "PATCH"}) {
      HttpResponse<String> response =
          Http.send(
              HttpRequest.newBuilder(publishUri("x"))
                  .method(method, HttpRequest.BodyPublishers.noBody()));
      assertThat(response.statusCode()).as(method).isEqualTo(405);
      assertThat(response.headers().firstValue("Allow")).hasValue("GET, POST");
      assertThat(Http.json(response))
          .isEqualTo(Map.of("error", "method must be GET or POST, was " + method));
    }
  }

  @Test
  void aSubscriberMayPublishAndGetsErrorsForAnythingElse() {
    try (TestWsClient one = subscribe(server);
        TestWsClient two = subscribe(server)) {
      one.sendJson(Map.of("type", "publish", "msg", "over the socket"));
      for (TestWsClient client : List.of(one, two)) {
        assertThat(client.awaitJsonOfType("published")).containsEntry("msg", "over the socket");
      }
      one.sendJson(Map.of("type", "dance"));
      assertThat(one.awaitJsonOfType("error"))
          .containsEntry(
              "error", "the time feed accepts only {\"type\":\"publish\",\"msg\":\"...\"}");
      one.sendJson(Map.of("type", "publish", "msg", ""));
      assertThat(one.awaitJsonOfType("error"))
          .containsEntry("error", "msg is required and must not be empty");
      assertThat(one.isClosed()).isFalse();
    }
  }

  /** The ticker on fake time: one broadcast per period to every subscriber, none after stop. */
  @Test
  void tickerRunsOnTheSchedulerAndStops() throws Exception {
    FakeScheduler fake = new FakeScheduler();
    Instant now = Instant.parse("2026-01-02T03:04:05Z");
    TimeService time =
        new TimeService(fake, Clock.fixed(now, ZoneOffset.UTC), Duration.ofSeconds(1));
    try (ServiceKitServer own =
            ServiceKitServer.builder().port(0).ws("/ws/time", time).build().start();
        TestWsClient a = subscribe(own);
        TestWsClient b = subscribe(own)) {
      time.start();
      time.start(); // idempotent: still one ticker
      // One ticker task, whatever the number of subscribers (their heartbeats use the system
      // scheduler, not this one).
      assertThat(fake.pendingTasks()).isEqualTo(1);
      fake.advanceBy(Duration.ofSeconds(1));
      for (TestWsClient client : List.of(a, b)) {
        assertThat(client.awaitJson())
            .isEqualTo(Map.of("type", "time", "time", "2026-01-02T03:04:05Z"));
      }
      fake.advanceBy(Duration.ofSeconds(1));
      assertThat(a.awaitJson()).containsEntry("type", "time");
      assertThat(b.awaitJson()).containsEntry("type", "time");

      time.stop();
      assertThat(time.isRunning()).isFalse();
      // Subscribers are told the server is going away.
      assertThat(a.awaitClose().code()).isEqualTo(1001);
      assertThat(b.awaitClose().code()).isEqualTo(1001);
      assertThat(fake.pendingTasks()).isZero();
    }
  }

  @Test
  void aSlowSubscriberDoesNotHoldUpTheOthers() throws Exception {
    TimeService time =
        new TimeService(new FakeScheduler(), Clock.systemUTC(), Duration.ofSeconds(1));
    WsConfig config =
        WsConfig.builder()
            .maxQueuedBytes(256 * 1024)
            .closeTimeout(Duration.ofMillis(200)) // its close frame cannot get through either
            .build();
    try (ServiceKitServer own =
            ServiceKitServer.builder().port(0).ws("/ws/time", time, config).build().start();
        Socket slow = Http.silentWebSocket(own.uri(), "/ws/time");
        TestWsClient fast = subscribe(own)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> time.hub().size() == 2);
      String payload = "p".repeat(1900);
      int batches = 100;
      int perBatch = 64; // 128 KB per batch: within the fast subscriber's 256 KB budget
      int slowDropped = -1;
      for (int batch = 0; batch < batches; batch++) {
        for (int i = 0; i < perBatch; i++) {
          int delivered =
              time.publish(batch + ":" + i + ":" + payload).toCompletableFuture().join();
          if (delivered == 1 && slowDropped < 0) {
            slowDropped = batch;
          }
        }
        for (int i = 0; i < perBatch; i++) {
          Map<String, Object> m = fast.awaitJson();
          assertThat(m).containsEntry("type", "published");
          assertThat((String) m.get("msg")).startsWith(batch + ":" + i + ":");
        }
      }
      // The silent subscriber was cut off (1008, slow consumer) while the fast one got everything.
      assertThat(slowDropped).as("batch in which the slow subscriber was dropped").isNotNegative();
      await().atMost(Duration.ofSeconds(10)).until(() -> time.hub().size() == 1);
      assertThat(time.hub().members()).extracting(m -> m.isOpen()).containsExactly(true);
      assertThat(fast.isClosed()).isFalse();
    }
  }

  @Test
  void rejectsANonPositivePeriod() {
    assertThatThrownBy(() -> new TimeService(new FakeScheduler(), Clock.systemUTC(), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("period must be positive: PT0S");
  }
}
