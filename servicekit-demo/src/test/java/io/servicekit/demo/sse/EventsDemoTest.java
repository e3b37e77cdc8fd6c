package io.servicekit.demo.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.Scheduler;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.sse.SseParser.Event;
import io.servicekit.sse.StoredEvent;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.TestSseClient;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The demo feed: resume after Last-Event-ID, resync (also after a restart), closeAfter, the page,
 * the drop route. Ids are opaque ({@code "<epoch>-<n>"}); ticks are counted by their {@code seq}.
 */
class EventsDemoTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern EPOCH_ID = Pattern.compile("([0-9a-z]{8})-[1-9][0-9]*");

  /** The tick's own sequence number. */
  static long seq(Event e) {
    return JSON.readTree(e.data()).get("seq").asLong();
  }

  /** The epoch of an id {@code "<epoch>-<n>"}, failing the test on any other form. */
  static String epoch(String id) {
    Matcher m = EPOCH_ID.matcher(id);
    assertThat(m.matches()).as("id %s is <8 base-36 epoch>-<n>", id).isTrue();
    return m.group(1);
  }

  private static List<String> storedIds(EventsDemo demo) {
    return demo.streams().store().events(EventsDemo.STREAM).stream().map(StoredEvent::id).toList();
  }

  @Test
  void lastEventIdResumesWithExactlyTheEventsAfterItThenLiveOnes() throws Exception {
    FakeScheduler time = new FakeScheduler();
    EventsDemo demo = new EventsDemo(Duration.ofSeconds(1), Duration.ofMillis(50), time);
    try (ServiceKitServer server =
        demo.routes(ServiceKitServer.builder().port(0)).build().start()) {
      time.advanceBy(Duration.ofSeconds(10)); // ten ticks, nobody connected
      List<String> ids = storedIds(demo);
      assertThat(ids).hasSize(10).doesNotHaveDuplicates();
      assertThat(ids.stream().map(EventsDemoTest::epoch).distinct()).hasSize(1);
      try (TestSseClient client =
          TestSseClient.builder(server.uri().resolve("/events"))
              .lastEventId(ids.get(3))
              .reconnect(false)
              .connect()) {
        List<Event> replay = client.awaitEvents(6);
        assertThat(replay).extracting(Event::id).containsExactlyElementsOf(ids.subList(4, 10));
        assertThat(replay).extracting(EventsDemoTest::seq).containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
        assertThat(replay).extracting(Event::type).containsOnly("tick");
        assertThat(replay.get(0).data()).startsWith("{\"seq\":5,\"time\":\"");
        time.advanceBy(Duration.ofSeconds(2));
        List<Event> live = client.awaitEvents(2);
        assertThat(live).extracting(EventsDemoTest::seq).containsExactly(11L, 12L);
        assertThat(live)
            .extracting(Event::id)
            .containsExactlyElementsOf(storedIds(demo).subList(10, 12));
      }
    }
  }

  @Test
  void anUnknownIdGetsAResyncAndAFreshClientOnlyLiveEvents() throws Exception {
    FakeScheduler time = new FakeScheduler();
    EventsDemo demo = new EventsDemo(Duration.ofSeconds(1), Duration.ofMillis(50), time);
    try (ServiceKitServer server =
        demo.routes(ServiceKitServer.builder().port(0)).build().start()) {
      time.advanceBy(Duration.ofSeconds(3));
      String newest = storedIds(demo).get(2);
      try (TestSseClient stale =
              TestSseClient.builder(server.uri().resolve("/events"))
                  .lastEventId("999")
                  .reconnect(false)
                  .connect();
          TestSseClient fresh =
              TestSseClient.builder(server.uri().resolve("/events")).reconnect(false).connect()) {
        Event resync = stale.awaitEvent();
        assertThat(resync.type()).isEqualTo("resync");
        assertThat(resync.id()).isEqualTo(newest);
        assertThat(resync.data()).contains("\"lastEventId\":\"999\"");
        fresh.awaitOpen();
        await().until(() -> demo.connections() == 2);
        time.advanceBy(Duration.ofSeconds(1));
        Event next = fresh.awaitEvent();
        assertThat(seq(next)).isEqualTo(4L);
        Event staleNext = stale.awaitEvent();
        assertThat(staleNext.id()).isEqualTo(next.id());
        assertThat(staleNext.data()).isEqualTo(next.data());
      }
    }
  }

  /**
   * Issue 14: a process restart with the memory store starts the ticks again at 1, but under a new
   * epoch, so a client resuming with an id of the old process is told to resync instead of being
   * continued from the new process's event that happens to have the same number.
   */
  @Test
  void afterARestartAnIdOfTheOldProcessGetsAResyncNotAWrongContinuation() throws Exception {
    FakeScheduler oldTime = new FakeScheduler();
    EventsDemo old = new EventsDemo(Duration.ofSeconds(1), Duration.ofMillis(50), oldTime);
    String held;
    List<String> oldIds;
    try (ServiceKitServer server = EventsDemoTestSupport.start(old);
        TestSseClient client =
            TestSseClient.builder(server.uri().resolve("/events")).reconnect(false).connect()) {
      client.awaitOpen();
      await().until(() -> old.connections() == 1);
      oldTime.advanceBy(Duration.ofSeconds(3));
      List<Event> seen = client.awaitEvents(3);
      assertThat(seen).extracting(EventsDemoTest::seq).containsExactly(1L, 2L, 3L);
      held = seen.get(1).id(); // the client's position: tick 2 of the old process
      oldIds = storedIds(old);
    }

    FakeScheduler newTime = new FakeScheduler();
    EventsDemo restarted = new EventsDemo(Duration.ofSeconds(1), Duration.ofMillis(50), newTime);
    try (ServiceKitServer server = EventsDemoTestSupport.start(restarted)) {
      newTime.advanceBy(Duration.ofSeconds(5)); // ticks 1..5 of the new process
      List<String> newIds = storedIds(restarted);
      try (TestSseClient resumed =
          TestSseClient.builder(server.uri().resolve("/events"))
              .lastEventId(held)
              .reconnect(false)
              .connect()) {
        Event first = resumed.awaitEvent();
        // not ticks 3, 4, 5 of the new process as if they followed the old tick 2
        assertThat(first.type()).isEqualTo("resync");
        assertThat(first.data())
            .isEqualTo(
                "{\"lastEventId\":\""
                    + held
                    + "\",\"reason\":\"unknown or expired Last-Event-ID\"}");
        assertThat(first.id()).isEqualTo(newIds.get(4)); // the client goes on from the newest
        assertThat(newIds).hasSize(5).doesNotContainAnyElementsOf(oldIds);
        assertThat(epoch(newIds.get(0))).isNotEqualTo(epoch(held));
        await().until(() -> restarted.connections() == 1);
        newTime.advanceBy(Duration.ofSeconds(1));
        Event live = resumed.awaitEvent();
        assertThat(live.type()).isEqualTo("tick");
        assertThat(seq(live)).isEqualTo(6L);
        assertThat(epoch(live.id())).isEqualTo(epoch(newIds.get(0)));
      }
    }
  }

  @Test
  void closeAfterEndsTheStreamAndTheClientResumesWithoutLossOrDuplicates() throws Exception {
    EventsDemo demo =
        new EventsDemo(Duration.ofMillis(10), Duration.ofMillis(30), Scheduler.system());
    try (ServiceKitServer server = demo.routes(ServiceKitServer.builder().port(0)).build().start();
        TestSseClient client =
            TestSseClient.connect(server.uri().resolve("/events?closeAfter=5"))) {
      List<Event> events = client.awaitEvents(40, Duration.ofSeconds(30));
      for (int i = 1; i < events.size(); i++) {
        assertThat(seq(events.get(i))).isEqualTo(seq(events.get(i - 1)) + 1);
      }
      assertThat(events).extracting(Event::id).doesNotHaveDuplicates();
      assertThat(client.attempts().size()).isGreaterThanOrEqualTo(5);
      assertThat(client.attempts().get(1).lastEventIdSent()).isNotNull();
    }
  }

  @Test
  void badCloseAfterIs400() throws Exception {
    EventsDemo demo =
        new EventsDemo(Duration.ofSeconds(1), Duration.ofSeconds(1), new FakeScheduler());
    try (ServiceKitServer server =
        demo.routes(ServiceKitServer.builder().port(0)).build().start()) {
      HttpResponse<String> res =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(server.uri().resolve("/events?closeAfter=-1")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(res.statusCode()).isEqualTo(400);
      assertThat(res.body()).contains("closeAfter must be a positive integer, was -1");
    }
  }

  @Test
  void pageAndDropRoute() throws Exception {
    EventsDemo demo =
        new EventsDemo(Duration.ofSeconds(1), Duration.ofMillis(20), new FakeScheduler());
    try (ServiceKitServer server = EventsDemoTestSupport.start(demo);
        TestSseClient client = TestSseClient.connect(server.uri().resolve("/events"))) {
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> page =
          http.send(
              HttpRequest.newBuilder(server.uri().resolve("/events.html")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
      assertThat(page.body())
          .contains(
              "<script src=\"/js/servicekit.js\"></script>", "new ServiceKit.SseClient('/events'");
      client.awaitOpen();
      await().until(() -> demo.connections() == 1);
      HttpResponse<String> drop =
          http.send(
              HttpRequest.newBuilder(server.uri().resolve("/events/drop"))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(drop.body()).isEqualTo("{\"dropped\":1}\n");
      client.awaitOpen(); // the client came back
      assertThat(client.attempts()).hasSize(2);
    }
  }
}
