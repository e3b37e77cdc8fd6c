package io.servicekit.client;

import static io.servicekit.client.Recorder.poll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.Rejection;
import io.servicekit.WsHandler;
import io.servicekit.channel.Channels;
import io.servicekit.channel.MemoryChannelHistory;
import io.servicekit.channel.Publication;
import io.servicekit.channel.StreamPosition;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.sse.SseParser;
import io.servicekit.testkit.TestSseClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Java {@link ChannelClient} against the real {@link Channels} server (not a scripted one):
 * publications made while the client is cut off are recovered exactly after its automatic
 * reconnect, a gap larger than the history is one resync, and the client's position resumes an SSE
 * client of the same channel.
 */
class ChannelClientOnChannelsTest {
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private volatile boolean down;

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private ServiceKitServer server(Channels channels) throws Exception {
    WsHandler<Object, Object> ws = channels.wsHandler();
    ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .ws(
                "/channels",
                request -> {
                  if (down) {
                    throw Rejection.of(503, "down for the test");
                  }
                  return ws.accept(request);
                })
            .sse("/sse", channels.sseHandler(r -> r.queryParam("channel").orElse("")))
            .build()
            .start();
    closeables.add(server);
    return server;
  }

  private ChannelClient client(ServiceKitServer server, Recorder<Object> rec) {
    ChannelClient c = ChannelClientTest.fastClient(server.wsUri("/channels"), rec).build();
    closeables.add(c);
    return c;
  }

  private static List<Long> offsets(List<Publication> pubs) {
    return pubs.stream().map(Publication::offset).toList();
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }

  @Test
  void missedPublicationsAreRecoveredExactlyAndThePositionResumesAnSseClient() throws Exception {
    Channels channels = Channels.builder().build();
    closeables.add(channels);
    ServiceKitServer server = server(channels);
    Recorder<Object> rec = new Recorder<>();
    ChannelClient client = client(server, rec);
    ChannelClientTest.Subs subs = new ChannelClientTest.Subs();
    CompletableFuture<ChannelClient.Subscribed> subscribed = client.subscribe("room", subs);
    client.connect().get(20, TimeUnit.SECONDS);
    StreamPosition start = subscribed.get(20, TimeUnit.SECONDS).position();
    assertThat(start.offset()).isZero();

    for (int i = 1; i <= 3; i++) {
      channels.publish("room", Map.of("n", i)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
    List<Publication> first = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      first.add(poll(subs.pubs));
    }
    assertThat(offsets(first)).isEqualTo(range(1, 3));

    // cut off, and kept off while 50 are published on the server
    down = true;
    server.webSocketSessions().forEach(s -> s.abort());
    ChannelClientTest.assertDropped(poll(rec.closes));
    for (int i = 4; i <= 53; i++) {
      channels.publish("room", Map.of("n", i)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
    down = false;

    List<Publication> recovered = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      recovered.add(poll(subs.pubs));
    }
    assertThat(offsets(recovered)).isEqualTo(range(4, 53));
    assertThat(recovered.get(0).data()).isEqualTo("{\"n\":4}");
    await().until(() -> client.position("room").orElseThrow().offset() == 53);
    assertThat(subs.resyncs).isEmpty();

    // live ones follow with no gap or repeat
    StreamPosition live = client.publish("room", "live").get(20, TimeUnit.SECONDS);
    assertThat(live.offset()).isEqualTo(54);
    assertThat(poll(subs.pubs).offset()).isEqualTo(54);
    assertThat(client.repeatsDropped()).isZero();
    assertThat(client.gapsSeen()).isZero();

    // the client's position as Last-Event-ID: an SSE client gets what came after it
    StreamPosition held = new StreamPosition(live.epoch(), 51);
    TestSseClient sse =
        TestSseClient.builder(server.uri().resolve("/sse?channel=room"))
            .lastEventId(held.toString())
            .connect();
    closeables.add(sse::disconnect);
    List<SseParser.Event> replay = sse.awaitEvents(3);
    assertThat(replay)
        .extracting(SseParser.Event::id)
        .containsExactly(live.epoch() + "-52", live.epoch() + "-53", live.epoch() + "-54");
  }

  @Test
  void aGapLargerThanTheHistoryIsOneResync() throws Exception {
    Channels channels =
        Channels.builder()
            .history(MemoryChannelHistory.builder().maxPublications(10).build())
            .build();
    closeables.add(channels);
    ServiceKitServer server = server(channels);
    Recorder<Object> rec = new Recorder<>();
    ChannelClient client = client(server, rec);
    ChannelClientTest.Subs subs = new ChannelClientTest.Subs();
    CompletableFuture<ChannelClient.Subscribed> subscribed = client.subscribe("room", subs);
    client.connect().get(20, TimeUnit.SECONDS);
    subscribed.get(20, TimeUnit.SECONDS);
    channels.publish("room", 1).toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertThat(poll(subs.pubs).offset()).isEqualTo(1);

    down = true;
    server.webSocketSessions().forEach(s -> s.abort());
    ChannelClientTest.assertDropped(poll(rec.closes));
    for (int i = 2; i <= 30; i++) {
      channels.publish("room", i).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
    down = false;

    String resync = poll(subs.resyncs);
    assertThat(resync).startsWith("room evicted ").endsWith("-30");
    await().until(() -> client.position("room").orElseThrow().offset() == 30);
    channels.publish("room", 31).toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertThat(poll(subs.pubs).offset()).isEqualTo(31);
    assertThat(subs.pubs).isEmpty();
    assertThat(subs.resyncs).isEmpty();
  }
}
