package io.servicekit.client;

import static io.servicekit.client.Recorder.poll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.CloseStatus;
import io.servicekit.JsonCodec;
import io.servicekit.channel.PresenceMember;
import io.servicekit.channel.Publication;
import io.servicekit.channel.Recovery;
import io.servicekit.channel.ReplyException;
import io.servicekit.channel.StreamPosition;
import io.servicekit.testkit.FakeScheduler;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ChannelClient} over real sockets against {@link ChannelTestServer}: automatic recovery
 * after a dropped connection, resync, the continuity checks (repeats dropped, a gap recovered),
 * requests both ways with timeouts, limits and closes.
 */
class ChannelClientTest {
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** Records a subscriber's callbacks. */
  static final class Subs implements ChannelClient.Subscriber {
    final BlockingQueue<Publication> pubs = new LinkedBlockingQueue<>();
    final BlockingQueue<String> resyncs = new LinkedBlockingQueue<>();
    final BlockingQueue<String> presence = new LinkedBlockingQueue<>();

    @Override
    public void onPublication(Publication publication) {
      pubs.add(publication);
    }

    @Override
    public void onResync(String channel, Recovery.Reason reason, StreamPosition top) {
      resyncs.add(channel + " " + reason.wireName() + " " + top);
    }

    @Override
    public void onJoin(String channel, String user, int connections) {
      presence.add("join " + channel + " " + user + " " + connections);
    }

    @Override
    public void onLeave(String channel, String user) {
      presence.add("leave " + channel + " " + user);
    }
  }

  private ChannelTestServer server(int maxKept) throws Exception {
    ChannelTestServer s = new ChannelTestServer(maxKept);
    closeables.add(s);
    return s;
  }

  /**
   * A client of {@code uri} that retries fast on the system clock (the reconnect tests wait for
   * real) and pings every 500 ms: the JDK WebSocket now and then loses the end of a connection the
   * server aborts (docs/clients.md), and the heartbeat is what finds it then.
   */
  static ChannelClient.Builder fastClient(URI uri, Recorder<Object> rec) {
    return ChannelClient.builder(
            WsClient.builder(uri, JsonCodec.INSTANCE)
                .pingInterval(Duration.ofMillis(500))
                .pongTimeout(Duration.ofSeconds(2))
                .reconnect(
                    ReconnectPolicy.builder()
                        .initialDelay(Duration.ofMillis(20))
                        .maxDelay(Duration.ofMillis(200))
                        .build()))
        .listener(rec);
  }

  /**
   * The close reported for a connection the server aborted: 1006, or 4000 when the JDK lost the end
   * of input and the heartbeat found the connection dead.
   */
  static void assertDropped(CloseStatus status) {
    assertThat(status.code()).isIn(CloseStatus.ABNORMAL, WsClient.PONG_TIMEOUT);
  }

  private ChannelClient client(ChannelTestServer server, Recorder<Object> rec) {
    ChannelClient c = fastClient(server.uri(), rec).build();
    closeables.add(c);
    return c;
  }

  private static List<Long> offsets(BlockingQueue<Publication> q, int n) throws Exception {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(poll(q).offset());
    }
    return out;
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }

  @Test
  void recoversExactlyWhatWasMissedWhileDisconnected() throws Exception {
    ChannelTestServer server = server(10_000);
    Recorder<Object> rec = new Recorder<>();
    ChannelClient client = client(server, rec);
    Subs subs = new Subs();
    CompletableFuture<ChannelClient.Subscribed> subscribed = client.subscribe("room", subs);
    client.connect().get(20, TimeUnit.SECONDS);
    assertThat(subscribed.get(20, TimeUnit.SECONDS))
        .isEqualTo(new ChannelClient.Subscribed("room", new StreamPosition("e1", 0), false));

    for (int i = 1; i <= 5; i++) {
      assertThat(client.publish("room", Map.of("n", i)).get(20, TimeUnit.SECONDS))
          .isEqualTo(new StreamPosition("e1", i));
    }
    assertThat(offsets(subs.pubs, 5)).isEqualTo(range(1, 5));
    assertThat(client.position("room")).contains(new StreamPosition("e1", 5));

    // the server drops the connection and refuses reconnects while 200 are published
    server.down(true);
    server.dropConnections();
    assertDropped(poll(rec.closes));
    int missed = 200;
    for (int i = 6; i <= 5 + missed; i++) {
      server.appendSilently("room", Map.of("n", i));
    }
    server.down(false);
    assertThat(poll(rec.opens)).isEqualTo("open");
    assertThat(poll(rec.opens)).isEqualTo("open");

    List<Publication> recovered = new ArrayList<>();
    for (int i = 0; i < missed; i++) {
      recovered.add(poll(subs.pubs));
    }
    assertThat(recovered).extracting(Publication::offset).isEqualTo(range(6, 5 + missed));
    assertThat(recovered.get(0).data()).isEqualTo("{\"n\":6}");
    assertThat(recovered.get(0).channel()).isEqualTo("room");
    await().until(() -> client.position("room").orElseThrow().offset() == 5 + missed);

    // the resubscribe carried the last position
    Map<?, ?> again =
        server.received.stream()
            .filter(m -> "subscribe".equals(m.get("type")) && m.get("since") != null)
            .findFirst()
            .orElseThrow();
    assertThat(again.get("since")).isEqualTo(Map.of("epoch", "e1", "offset", 5));

    // and live publications follow on
    client.publish("room", "live").get(20, TimeUnit.SECONDS);
    Publication live = poll(subs.pubs);
    assertThat(live.offset()).isEqualTo(6 + missed);
    assertThat(live.data()).isEqualTo("\"live\"");
    assertThat(subs.pubs).isEmpty();
    assertThat(subs.resyncs).isEmpty();
    assertThat(client.repeatsDropped()).isZero();
    assertThat(client.gapsSeen()).isZero();
  }

  @Test
  void aGapLargerThanTheHistoryResyncsOnce() throws Exception {
    ChannelTestServer server = server(10);
    Recorder<Object> rec = new Recorder<>();
    ChannelClient client = client(server, rec);
    Subs subs = new Subs();
    client.connect().get(20, TimeUnit.SECONDS);
    client.subscribe("room", subs).get(20, TimeUnit.SECONDS);
    server.publish("room", 1);
    assertThat(poll(subs.pubs).offset()).isEqualTo(1);

    server.down(true);
    server.dropConnections();
    assertDropped(poll(rec.closes));
    for (int i = 2; i <= 30; i++) {
      server.appendSilently("room", i);
    }
    server.down(false);

    assertThat(poll(subs.resyncs)).isEqualTo("room evicted e1-30");
    assertThat(client.position("room")).contains(new StreamPosition("e1", 30));
    server.publish("room", 31);
    assertThat(poll(subs.pubs).offset()).isEqualTo(31);
    assertThat(subs.pubs).isEmpty(); // nothing of the evicted part was delivered
    assertThat(subs.resyncs).isEmpty(); // once

    // another epoch (the server lost its history): resync epoch_changed on the next reconnect
    server.down(true);
    server.dropConnections();
    server.newEpoch("room", "e2");
    server.appendSilently("room", "x");
    server.down(false);
    assertThat(poll(subs.resyncs)).isEqualTo("room epoch_changed e2-1");
    assertThat(client.position("room")).contains(new StreamPosition("e2", 1));
  }

  @Test
  void repeatsAreDroppedAndAGapIsRecoveredFromTheLastPosition() throws Exception {
    ChannelTestServer server = server(100);
    Recorder<Object> rec = new Recorder<>();
    ChannelClient client = client(server, rec);
    Subs subs = new Subs();
    client.connect().get(20, TimeUnit.SECONDS);
    client.subscribe("room", subs).get(20, TimeUnit.SECONDS);
    for (int i = 1; i <= 3; i++) {
      server.publish("room", i);
    }
    assertThat(offsets(subs.pubs, 3)).isEqualTo(range(1, 3));
    var session = server.sessions().get(0);

    // a repeat is dropped
    session.send(ChannelTestServer.pub("room", "e1", 2, 2));
    await().until(() -> client.repeatsDropped() == 1);

    // 4 and 5 are kept but never sent; 6 arrives: a gap, so the client subscribes again from 3
    server.appendSilently("room", 4);
    server.appendSilently("room", 5);
    server.publish("room", 6);
    assertThat(offsets(subs.pubs, 3)).isEqualTo(range(4, 6));
    assertThat(client.gapsSeen()).isEqualTo(1);
    assertThat(client.position("room")).contains(new StreamPosition("e1", 6));
    assertThat(
            server.received.stream()
                .filter(m -> "subscribe".equals(m.get("type")) && m.get("since") != null)
                .map(m -> (Object) m.get("since")))
        .containsExactly(Map.of("epoch", "e1", "offset", 3));
    server.publish("room", 7);
    assertThat(poll(subs.pubs).offset()).isEqualTo(7);
    assertThat(subs.pubs).isEmpty();
  }

  @Test
  void subscribeFromAGivenPositionPresenceAndRefusals() throws Exception {
    ChannelTestServer server = server(100);
    for (int i = 1; i <= 4; i++) {
      server.publish("room", i);
    }
    Recorder<Object> rec = new Recorder<>();
    ChannelClient client = client(server, rec);
    client.connect().get(20, TimeUnit.SECONDS);
    Subs subs = new Subs();
    var first =
        client.subscribe(
            "room",
            subs,
            ChannelClient.SubscribeOptions.defaults()
                .withPresence(true)
                .withSince(StreamPosition.parse("e1-2")));
    assertThat(first.get(20, TimeUnit.SECONDS))
        .isEqualTo(new ChannelClient.Subscribed("room", new StreamPosition("e1", 4), true));
    assertThat(offsets(subs.pubs, 2)).isEqualTo(range(3, 4));
    assertThat(server.received.stream().filter(m -> "subscribe".equals(m.get("type"))))
        .allMatch(m -> Boolean.TRUE.equals(m.get("presence")));

    server
        .sessions()
        .get(0)
        .send(Map.of("type", "join", "channel", "room", "user", "ann", "connections", 1));
    server.sessions().get(0).send(Map.of("type", "leave", "channel", "room", "user", "ann"));
    assertThat(poll(subs.presence)).isEqualTo("join room ann 1");
    assertThat(poll(subs.presence)).isEqualTo("leave room ann");

    assertThat(client.presence("room").get(20, TimeUnit.SECONDS))
        .containsExactly(new PresenceMember("alice", 2), new PresenceMember("bob", 1));
    // a member the server describes badly fails the call, naming the value
    assertThatThrownBy(() -> client.presence("broken").get(20, TimeUnit.SECONDS))
        .hasCauseInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1 connection, was 0");

    assertThatThrownBy(() -> client.subscribe("room", new Subs()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already subscribed");
    assertThatThrownBy(() -> client.subscribe("a b", new Subs()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("whitespace");
    var refused = client.subscribe("forbidden", new Subs());
    assertThatThrownBy(() -> refused.get(20, TimeUnit.SECONDS))
        .hasCauseInstanceOf(ReplyException.class)
        .cause()
        .satisfies(e -> assertThat(((ReplyException) e).code()).isEqualTo("forbidden"));
    assertThat(client.channels()).containsExactly("room");

    client.unsubscribe("room").get(20, TimeUnit.SECONDS);
    assertThat(client.channels()).isEmpty();
    assertThat(client.position("room")).isEmpty();
    server.publish("room", 5);
    client.request("sync").get(20, TimeUnit.SECONDS); // the server has sent everything by now
    assertThat(subs.pubs).isEmpty();
  }

  @Test
  void requestsRepliesErrorsAndTheServersRequests() throws Exception {
    ChannelTestServer server = server(100);
    Recorder<Object> rec = new Recorder<>();
    ChannelClient client = client(server, rec);
    client.connect().get(20, TimeUnit.SECONDS);
    assertThat(client.request(Map.of("q", 1)).get(20, TimeUnit.SECONDS))
        .isEqualTo(Map.of("echo", Map.of("q", 1)));
    var failed = client.request("fail");
    assertThatThrownBy(() -> failed.get(20, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(ReplyException.class)
        .hasMessage("not for you")
        .satisfies(e -> assertThat(((ReplyException) e).code()).isEqualTo("forbidden"));

    var session = server.sessions().get(0);
    // no handler yet: internal
    session.send(Map.of("type", "request", "id", 9, "data", "hi"));
    assertThat(replyTo(server, 9)).containsEntry("code", "internal");

    client.onRequest(
        data -> {
          if ("no".equals(data)) {
            throw new ReplyException("forbidden", "refused: no");
          }
          if ("later".equals(data)) {
            return CompletableFuture.supplyAsync(() -> "done later");
          }
          return Map.of("got", data);
        });
    session.send(Map.of("type", "request", "id", 10, "data", Map.of("x", 1)));
    assertThat(replyTo(server, 10)).containsEntry("data", Map.of("got", Map.of("x", 1)));
    session.send(Map.of("type", "request", "id", 11, "data", "no"));
    assertThat(replyTo(server, 11))
        .containsEntry("code", "forbidden")
        .containsEntry("error", "refused: no");
    session.send(Map.of("type", "request", "id", 12, "data", "later"));
    assertThat(replyTo(server, 12)).containsEntry("data", "done later");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> replyTo(ChannelTestServer server, long id) throws Exception {
    while (true) {
      Map<?, ?> m = poll(server.received);
      if ("reply".equals(m.get("type")) && ((Number) m.get("id")).longValue() == id) {
        return (Map<String, Object>) m;
      }
    }
  }

  @Test
  void requestsTimeOutOnTheClientsClockAndLateRepliesAreDropped() throws Exception {
    ChannelTestServer server = server(100);
    FakeScheduler time = new FakeScheduler();
    ChannelClient client =
        ChannelClient.builder(server.uri())
            .scheduler(time)
            .requestTimeout(Duration.ofSeconds(5))
            .maxPendingRequests(2)
            .build();
    closeables.add(client);
    client.connect().get(20, TimeUnit.SECONDS);
    var slow = client.request("slow");
    var slower = client.request("slow", Duration.ofSeconds(30));
    var third = client.request("slow");
    assertThatThrownBy(() -> third.get(20, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(ReplyException.class)
        .hasMessageContaining("maxPending is 2")
        .satisfies(e -> assertThat(((ReplyException) e).code()).isEqualTo("limit"));
    await()
        .until(
            () -> server.received.stream().filter(m -> "slow".equals(m.get("data"))).count() == 2);

    time.advanceBy(Duration.ofSeconds(5));
    assertThatThrownBy(() -> slow.get(20, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(ReplyException.class)
        .satisfies(e -> assertThat(((ReplyException) e).code()).isEqualTo("timeout"));
    assertThat(slower).isNotDone();

    var cancelled = client.request("slow");
    await()
        .until(
            () -> server.received.stream().filter(m -> "slow".equals(m.get("data"))).count() == 3);
    cancelled.cancel(false);
    assertThat(client.request(Map.of("q", 2)).get(20, TimeUnit.SECONDS)).isNotNull();

    server.answerSlowRequests(); // late for the timed-out and the cancelled one
    assertThat(slower.get(20, TimeUnit.SECONDS)).isEqualTo("late");
    await().until(() -> client.lateReplies() == 2);
  }

  @Test
  void aCloseFailsPendingRequestsAtOnceAndNothingIsResent() throws Exception {
    ChannelTestServer server = server(100);
    Recorder<Object> rec = new Recorder<>();
    ChannelClient client = client(server, rec);
    client.connect().get(20, TimeUnit.SECONDS);
    var pending = client.request("slow");
    await().until(() -> server.received.stream().anyMatch(m -> "slow".equals(m.get("data"))));

    server.sessions().get(0).close(CloseStatus.of(CloseStatus.SERVICE_RESTART, "restart"));
    assertThatThrownBy(() -> pending.get(20, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(ConnectionClosedException.class)
        .hasMessageContaining("1012")
        .satisfies(
            e ->
                assertThat(((ConnectionClosedException) e).status().code())
                    .isEqualTo(CloseStatus.SERVICE_RESTART));
    assertThat(poll(rec.opens)).isEqualTo("open");
    assertThat(poll(rec.opens)).isEqualTo("open"); // reconnected
    assertThat(client.request("after").get(20, TimeUnit.SECONDS))
        .isEqualTo(Map.of("echo", "after"));
    assertThat(server.received.stream().filter(m -> "slow".equals(m.get("data")))).hasSize(1);

    var atClose = client.request("slow");
    client.close();
    assertThat(atClose).isCompletedExceptionally();
    assertThatThrownBy(atClose::join).cause().isInstanceOf(ConnectionClosedException.class);
    assertThat(client.request("x")).isCompletedExceptionally();
    assertThatThrownBy(() -> client.subscribe("room", new Subs()))
        .isInstanceOf(IllegalStateException.class);
  }

  /** The sample of docs/clients.md ("Channels: ChannelClient"), run. */
  @Test
  void docSample() throws Exception {
    ChannelTestServer server = server(100);
    URI uri = server.uri();
    BlockingQueue<String> shown = new LinkedBlockingQueue<>();
    // [START channel-client]
    ChannelClient chat =
        ChannelClient.builder(uri)
            .header("Authorization", "Bearer demo-token")
            .requestTimeout(Duration.ofSeconds(10))
            .build();
    chat.connect().get(10, TimeUnit.SECONDS);
    chat.subscribe(
            "room:lobby",
            new ChannelClient.Subscriber() {
              @Override
              public void onPublication(Publication p) {
                shown.add(p.position() + " " + p.data()); // e.g. e1-1 {"text":"hi"}
              }

              @Override
              public void onResync(String channel, Recovery.Reason reason, StreamPosition top) {
                shown.add("missed too much (" + reason.wireName() + "), now at " + top);
              }
            },
            ChannelClient.SubscribeOptions.defaults().withPresence(true))
        .get(10, TimeUnit.SECONDS);
    StreamPosition at = chat.publish("room:lobby", Map.of("text", "hi")).get(10, TimeUnit.SECONDS);
    Object answer =
        chat.request(Map.of("op", "ping"), Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
    chat.onRequest(data -> Map.of("ok", true)); // answers the server's requests
    // [END channel-client]
    closeables.add(chat);
    assertThat(at).isEqualTo(StreamPosition.parse("e1-1"));
    assertThat(poll(shown)).isEqualTo("e1-1 {\"text\":\"hi\"}");
    assertThat(answer).isEqualTo(Map.of("echo", Map.of("op", "ping")));
    assertThat(chat.position("room:lobby")).contains(at);
  }

  @Test
  void aThousandMissedAreRecoveredAndAnUnavailableHistoryIsRetried() throws Exception {
    ChannelTestServer server = server(10_000);
    Recorder<Object> rec = new Recorder<>();
    ChannelClient client = client(server, rec);
    Subs subs = new Subs();
    client.connect().get(20, TimeUnit.SECONDS);
    client.subscribe("room", subs).get(20, TimeUnit.SECONDS);
    server.publish("room", 0);
    poll(subs.pubs);

    server.down(true);
    server.dropConnections();
    assertDropped(poll(rec.closes));
    int missed = 1000;
    for (int i = 1; i <= missed; i++) {
      server.appendSilently("room", Map.of("n", i, "text", "message " + i));
    }
    server.failSubscribes(1); // the first subscribe after the reconnect: unavailable, retried
    server.down(false);
    assertThat(offsets(subs.pubs, missed)).isEqualTo(range(2, missed + 1));
    await().until(() -> client.position("room").orElseThrow().offset() == missed + 1);
    assertThat(
            server.received.stream()
                .filter(m -> "subscribe".equals(m.get("type")) && m.get("since") != null))
        .hasSize(2); // refused once, then recovered
    assertThat(subs.resyncs).isEmpty();

    // again without the refusal: the time from the reconnect to the last recovered publication
    server.down(true);
    server.dropConnections();
    assertDropped(poll(rec.closes));
    for (int i = 1; i <= missed; i++) {
      server.appendSilently("room", Map.of("n", i, "text", "message " + i));
    }
    poll(rec.opens);
    poll(rec.opens);
    long start = System.nanoTime();
    server.down(false);
    poll(rec.opens);
    long opened = System.nanoTime();
    List<Long> got = offsets(subs.pubs, missed);
    long end = System.nanoTime();
    System.out.printf(
        "recovered %d missed publications: %d ms after the reopen (%d ms from accepting)%n",
        missed, (end - opened) / 1_000_000, (end - start) / 1_000_000);
    assertThat(got).isEqualTo(range(missed + 2, 2 * missed + 1));
    assertThat(subs.resyncs).isEmpty();
    assertThat(client.channels()).containsExactly("room");
  }
}
