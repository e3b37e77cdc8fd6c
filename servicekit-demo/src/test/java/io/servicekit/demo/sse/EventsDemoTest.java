package io.servicekit.demo.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.Scheduler;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.SseClient;
import io.servicekit.testkit.SseEventParser.Event;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The demo feed: resume after Last-Event-ID, resync, closeAfter, the page, the drop route. */
class EventsDemoTest {
  private static long id(Event e) {
    return Long.parseLong(e.id());
  }

  @Test
  void lastEventIdResumesWithExactlyTheEventsAfterItThenLiveOnes() throws Exception {
    FakeScheduler time = new FakeScheduler();
    EventsDemo demo = new EventsDemo(Duration.ofSeconds(1), Duration.ofMillis(50), time);
    try (ServiceKitServer server =
        demo.routes(ServiceKitServer.builder().port(0)).build().start()) {
      time.advanceBy(Duration.ofSeconds(10)); // ten ticks, nobody connected
      assertThat(demo.streams().store().events(EventsDemo.STREAM)).hasSize(10);
      try (SseClient client =
          SseClient.connect(
              server.uri().resolve("/events"),
              SseClient.options().lastEventId("4").reconnect(false))) {
        List<Event> replay = client.awaitEvents(6);
        assertThat(replay).extracting(EventsDemoTest::id).containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
        assertThat(replay).extracting(Event::type).containsOnly("tick");
        assertThat(replay.get(0).data()).startsWith("{\"seq\":5,\"time\":\"");
        time.advanceBy(Duration.ofSeconds(2));
        assertThat(client.awaitEvents(2)).extracting(EventsDemoTest::id).containsExactly(11L, 12L);
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
      try (SseClient stale =
              SseClient.connect(
                  server.uri().resolve("/events"),
                  SseClient.options().lastEventId("999").reconnect(false));
          SseClient fresh =
              SseClient.connect(
                  server.uri().resolve("/events"), SseClient.options().reconnect(false))) {
        Event resync = stale.awaitEvent();
        assertThat(resync.type()).isEqualTo("resync");
        assertThat(resync.id()).isEqualTo("3");
        fresh.awaitOpen();
        await().until(() -> demo.connections() == 2);
        time.advanceBy(Duration.ofSeconds(1));
        assertThat(fresh.awaitEvent().id()).isEqualTo("4");
        assertThat(stale.awaitEvent().id()).isEqualTo("4");
      }
    }
  }

  @Test
  void closeAfterEndsTheStreamAndTheClientResumesWithoutLossOrDuplicates() throws Exception {
    EventsDemo demo =
        new EventsDemo(Duration.ofMillis(10), Duration.ofMillis(30), Scheduler.system());
    try (ServiceKitServer server = demo.routes(ServiceKitServer.builder().port(0)).build().start();
        SseClient client = SseClient.connect(server.uri().resolve("/events?closeAfter=5"))) {
      List<Event> events = client.awaitEvents(40, Duration.ofSeconds(30));
      for (int i = 1; i < events.size(); i++) {
        assertThat(id(events.get(i))).isEqualTo(id(events.get(i - 1)) + 1);
      }
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
        SseClient client = SseClient.connect(server.uri().resolve("/events"))) {
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
