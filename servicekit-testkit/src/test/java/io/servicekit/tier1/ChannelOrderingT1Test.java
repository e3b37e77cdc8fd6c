package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.Scheduler;
import io.servicekit.WsConfig;
import io.servicekit.broker.Broker;
import io.servicekit.broker.BrokerGap;
import io.servicekit.broker.BrokerUnavailableException;
import io.servicekit.channel.ChannelHistory;
import io.servicekit.channel.Channels;
import io.servicekit.channel.MemoryChannelHistory;
import io.servicekit.channel.Publication;
import io.servicekit.channel.Recovery;
import io.servicekit.channel.StreamPosition;
import io.servicekit.spi.WsDriver;
import io.servicekit.testkit.FakeRequest;
import io.servicekit.testkit.MemoryWs;
import io.servicekit.testkit.VirtualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tier 1: the ordering machinery of {@link Channels} (reorder buffer, gap timer, fills from the
 * history, {@link Broker#onGap}) on virtual time. Two nodes share one {@link MemoryChannelHistory};
 * node A publishes, and a scripted broker hands A's publications to node B only when, in the order
 * and as often as, the test says. B's subscribers are WebSocket connections over {@link MemoryWs}.
 * Everything runs on the test thread: the history answers at once (or when the test completes a
 * held read), and time moves only in {@code advanceBy}.
 */
class ChannelOrderingT1Test {
  static final Duration GAP = Channels.DEFAULT_GAP_TIMEOUT;
  static final Duration HOUR = Duration.ofHours(1);
  // the history keeps more than the reorder buffer holds, so that a full buffer can be filled
  static final int KEPT = 2 * Channels.MAX_REORDER;
  static final JsonMapper JSON = JsonMapper.builder().build();

  final VirtualScheduler time = new VirtualScheduler();
  final Timers timers = new Timers(time);
  final MemoryChannelHistory shared =
      MemoryChannelHistory.builder().scheduler(time).maxPublications(KEPT).build();
  final ScriptedHistory history = new ScriptedHistory(shared);
  final ScriptedBroker broker = new ScriptedBroker();
  final Channels a =
      Channels.builder().history(shared).broker(broker, "ch").scheduler(time).build();
  // gapTimeout is left at its default (250 ms): the tests pin the default too
  final Channels b =
      Channels.builder().history(history).broker(broker, "ch").scheduler(timers).build();

  @AfterEach
  void closeNodes() {
    a.close();
    b.close();
  }

  // -------------------------------------------------------------------------------- the scripts

  /** A broker that records what is published and delivers it only when the test says. */
  static final class ScriptedBroker implements Broker {
    record Published(String topic, byte[] payload) {}

    record Sub(String pattern, Listener listener) {}

    final List<Published> published = new ArrayList<>();
    final List<Sub> subs = new ArrayList<>();
    final List<GapListener> gapListeners = new ArrayList<>();

    @Override
    public CompletionStage<Void> publish(String topic, byte[] payload) {
      Broker.checkTopic("topic", topic);
      published.add(new Published(topic, payload.clone()));
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public Subscription subscribe(String topic, Listener listener) {
      return add(new Sub(topic, listener));
    }

    @Override
    public Subscription subscribePattern(String pattern, Listener listener) {
      return add(new Sub(pattern, listener));
    }

    private Subscription add(Sub s) {
      subs.add(s);
      return () -> subs.remove(s);
    }

    @Override
    public Subscription onGap(GapListener listener) {
      gapListeners.add(listener);
      return () -> gapListeners.remove(listener);
    }

    /** Delivers the {@code i}-th published message (from 0) to every matching subscription. */
    void deliver(int i) {
      Published p = published.get(i);
      for (Sub s : List.copyOf(subs)) {
        if (matches(s.pattern(), p.topic())) {
          s.listener().onMessage(p.topic(), p.payload().clone());
        }
      }
    }

    /** Tells every node it may have missed messages. */
    void gap() {
      List.copyOf(gapListeners).forEach(l -> l.onGap(new BrokerGap("test", Duration.ZERO)));
    }

    static boolean matches(String pattern, String topic) {
      int star = pattern.indexOf('*');
      if (star < 0) {
        return pattern.equals(topic);
      }
      // the channel server subscribes "<prefix>.*": one star at the end
      return star == pattern.length() - 1 && topic.startsWith(pattern.substring(0, star));
    }

    @Override
    public int maxPayloadBytes() {
      return DEFAULT_MAX_PAYLOAD_BYTES;
    }

    @Override
    public void close() {
      subs.clear();
      gapListeners.clear();
    }
  }

  /**
   * Node B's view of the shared history: records every {@code since} read and can fail it, or hold
   * its answer (read when asked) until the test completes it.
   */
  static final class ScriptedHistory implements ChannelHistory {
    final ChannelHistory inner;
    final List<String> sinceReads = new ArrayList<>(); // "channel@epoch-offset"
    boolean failSince;
    boolean holdSince;
    final List<Runnable> held = new ArrayList<>();

    ScriptedHistory(ChannelHistory inner) {
      this.inner = inner;
    }

    @Override
    public CompletionStage<Publication> append(String channel, String data) {
      return inner.append(channel, data);
    }

    @Override
    public CompletionStage<Recovery> since(String channel, StreamPosition position) {
      sinceReads.add(channel + "@" + position);
      if (failSince) {
        return CompletableFuture.failedFuture(
            new BrokerUnavailableException("history down (scripted)", false, null));
      }
      if (!holdSince) {
        return inner.since(channel, position);
      }
      CompletionStage<Recovery> read = inner.since(channel, position); // reads now, answers later
      CompletableFuture<Recovery> later = new CompletableFuture<>();
      held.add(
          () -> {
            if (failSince) {
              later.completeExceptionally(
                  new BrokerUnavailableException("history down (scripted)", false, null));
            } else {
              read.whenComplete((r, e) -> later.complete(r));
            }
          });
      return later;
    }

    /** Completes the held reads, oldest first (failing them while {@link #failSince}). */
    void completeHeld() {
      List<Runnable> now = List.copyOf(held);
      held.clear();
      now.forEach(Runnable::run);
    }

    @Override
    public CompletionStage<StreamPosition> top(String channel) {
      return inner.top(channel);
    }
  }

  /** Node B's scheduler: {@link #time}, recording every timer B arms (its gap timers). */
  static final class Timers implements Scheduler {
    final VirtualScheduler time;
    final List<Timer> armed = new ArrayList<>();

    Timers(VirtualScheduler time) {
      this.time = time;
    }

    static final class Timer implements Cancellable {
      final Duration delay;
      Cancellable inner;
      boolean cancelled;
      boolean fired;

      Timer(Duration delay) {
        this.delay = delay;
      }

      @Override
      public void cancel() {
        if (!fired) {
          cancelled = true;
        }
        inner.cancel();
      }
    }

    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
      Timer t = new Timer(delay);
      t.inner =
          time.schedule(
              () -> {
                t.fired = true;
                task.run();
              },
              delay);
      armed.add(t);
      return t;
    }

    @Override
    public long nanoTime() {
      return time.nanoTime();
    }

    @Override
    public void execute(String name, Runnable task) {
      time.execute(name, task);
    }

    /** Timers armed and neither fired nor cancelled. */
    long live() {
      return armed.stream().filter(t -> !t.fired && !t.cancelled).count();
    }
  }

  /** A WebSocket client of node B. */
  final class Client {
    final WsDriver driver;
    final MemoryWs ws;

    Client() {
      FakeRequest request = FakeRequest.builder().path("/ch").build();
      WsConfig config =
          WsConfig.builder()
              .scheduler(time)
              .pingPeriod(HOUR)
              .pongPeriod(HOUR)
              .writeTimeout(HOUR)
              .closeTimeout(HOUR)
              .build();
      driver = WsDriver.create(b.wsHandler().accept(request), config, request, null);
      ws = new MemoryWs(driver);
      driver.open(ws);
      time.runUntilIdle();
    }

    void send(String json) {
      ws.peerText(json);
      time.runUntilIdle();
    }

    /** Subscribes and returns the reply's data. */
    JsonNode subscribe(String channel, int id) {
      send("{\"type\":\"subscribe\",\"id\":" + id + ",\"channel\":\"" + channel + "\"}");
      JsonNode reply = last("reply");
      assertThat(reply.get("id").asLong()).isEqualTo(id);
      assertThat(reply.has("error")).as("subscribe refused: %s", reply).isFalse();
      return reply.get("data");
    }

    List<JsonNode> received() {
      return ws.sentTexts().stream().map(JSON::readTree).toList();
    }

    JsonNode last(String type) {
      List<JsonNode> all = received().stream().filter(n -> type.equals(type(n))).toList();
      assertThat(all).as("no %s in %s", type, ws.sentTexts()).isNotEmpty();
      return all.get(all.size() - 1);
    }

    /** The offsets of the {@code pub}s of {@code channel}, in the order they were sent. */
    List<Long> pubs(String channel) {
      return received().stream()
          .filter(n -> "pub".equals(type(n)) && channel.equals(n.get("channel").asString()))
          .map(n -> n.get("offset").asLong())
          .toList();
    }

    /** What this client got, as "type channel offset" lines (pubs, replies, resyncs, errors). */
    List<String> log() {
      return received().stream()
          .map(
              n -> {
                // a reply's channel and offset are in its data
                JsonNode body = "reply".equals(type(n)) && n.has("data") ? n.get("data") : n;
                return type(n)
                    + (body.has("channel") ? " " + body.get("channel").asString() : "")
                    + (body.has("offset") ? " " + body.get("offset").asLong() : "");
              })
          .toList();
    }
  }

  static String type(JsonNode n) {
    return n.get("type").asString();
  }

  /** Node A publishes {@code count} messages on {@code channel}; returns their broker indexes. */
  List<Integer> publishOnA(String channel, int count) {
    List<Integer> indexes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int before = broker.published.size();
      Publication p =
          a.publish(channel, Map.of("n", i)).toCompletableFuture().getNow(null); // memory: at once
      assertThat(p).isNotNull();
      assertThat(broker.published).hasSize(before + 1);
      indexes.add(before);
    }
    return indexes;
  }

  void deliver(int... indexes) {
    for (int i : indexes) {
      broker.deliver(i);
    }
    time.runUntilIdle();
  }

  // -------------------------------------------------------------------------------- the tests

  @Test
  void outOfOrderArrivalsReachTheSubscriberInOffsetOrderExactlyOnce() {
    Client c = new Client();
    JsonNode top = c.subscribe("room", 1);
    assertThat(top.get("offset").asLong()).isZero();
    List<Integer> m = publishOnA("room", 3); // offsets 1, 2, 3

    deliver(m.get(0), m.get(2)); // 1, then 3 ahead of 2
    assertThat(c.pubs("room")).containsExactly(1L);
    assertThat(timers.live()).as("3 waits for 2 on the gap timer").isEqualTo(1);
    assertThat(timers.armed.get(0).delay).isEqualTo(GAP);

    deliver(m.get(1)); // 2 arrives: 2 and 3 follow at once
    assertThat(c.pubs("room")).containsExactly(1L, 2L, 3L);
    assertThat(timers.live()).as("the gap closed: timer cancelled").isZero();
    assertThat(timers.armed.get(0).cancelled).isTrue();

    deliver(m.get(2), m.get(1), m.get(0)); // the broker repeats itself: nothing new
    assertThat(c.pubs("room")).containsExactly(1L, 2L, 3L);
    assertThat(c.log()).containsExactly("reply room 0", "pub room 1", "pub room 2", "pub room 3");
    // the data went through unchanged, in order
    assertThat(c.received().stream().filter(n -> "pub".equals(type(n))))
        .extracting(n -> n.get("data").get("n").asInt())
        .containsExactly(0, 1, 2);
    assertThat(history.sinceReads).as("nothing was read from the history").isEmpty();
    assertThat(b.stats().gapFills()).isZero();
    assertThat(time.now()).isEqualTo(Duration.ZERO);
  }

  @Test
  void everythingArrivingBackwardsIsHeldUntilTheFirstComes() {
    Client c = new Client();
    c.subscribe("room", 1);
    List<Integer> m = publishOnA("room", 4);
    deliver(m.get(3), m.get(2), m.get(1));
    assertThat(c.pubs("room")).isEmpty();
    assertThat(timers.live()).isEqualTo(1); // one timer for the channel, not one per arrival
    deliver(m.get(0));
    assertThat(c.pubs("room")).containsExactly(1L, 2L, 3L, 4L);
    assertThat(timers.live()).isZero();
    assertThat(history.sinceReads).isEmpty();
  }

  @Test
  void aMissingOffsetIsReadFromTheHistoryAfterExactlyGapTimeoutThenLaterOnesFollowInOrder() {
    Client c = new Client();
    String epoch = c.subscribe("room", 1).get("epoch").asString();
    List<Integer> m = publishOnA("room", 3);
    deliver(m.get(0), m.get(2)); // 2 is lost by the broker; 3 waits (armed at time 0)
    assertThat(c.pubs("room")).containsExactly(1L);

    time.advanceBy(GAP.minusNanos(1));
    assertThat(c.pubs("room")).as("not before gapTimeout").containsExactly(1L);
    assertThat(history.sinceReads).isEmpty();

    time.advanceBy(Duration.ofNanos(1));
    assertThat(history.sinceReads).containsExactly("room@" + epoch + "-1"); // one read, from 1
    assertThat(c.pubs("room")).containsExactly(1L, 2L, 3L);
    assertThat(b.stats().gapFills()).isEqualTo(1);
    assertThat(timers.live()).isZero();

    List<Integer> later = publishOnA("room", 2); // 4 and 5
    deliver(later.get(1), later.get(0)); // themselves out of order
    assertThat(c.pubs("room")).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(history.sinceReads).hasSize(1);
    assertThat(time.now()).isEqualTo(GAP);
  }

  @Test
  void aFillReadsEverythingTheHistoryHasAfterTheLastDelivered() {
    // 2 and 4 lost, 3 and 5 held: one read fills both holes
    Client c = new Client();
    c.subscribe("room", 1);
    List<Integer> m = publishOnA("room", 5);
    deliver(m.get(0), m.get(2), m.get(4));
    assertThat(c.pubs("room")).containsExactly(1L);
    time.advanceBy(GAP);
    assertThat(c.pubs("room")).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(history.sinceReads).hasSize(1);
  }

  @Test
  void aLateArrivalOfAnOffsetAlreadyFilledFromTheHistoryIsDropped() {
    Client c = new Client();
    c.subscribe("room", 1);
    List<Integer> m = publishOnA("room", 3);
    deliver(m.get(0), m.get(2));
    time.advanceBy(GAP);
    assertThat(c.pubs("room")).containsExactly(1L, 2L, 3L);

    deliver(m.get(1)); // 2 finally arrives from the broker
    deliver(m.get(2)); // and 3 once more
    assertThat(c.pubs("room")).as("no duplicate").containsExactly(1L, 2L, 3L);
    assertThat(timers.live()).as("a repeat arms no timer").isZero();

    deliver(publishOnA("room", 1).get(0));
    assertThat(c.pubs("room")).containsExactly(1L, 2L, 3L, 4L);
    assertThat(history.sinceReads).hasSize(1);
  }

  @Test
  void anArrivalWhileTheFillIsInFlightIsDeliveredAndTheFillsCopyDropped() {
    Client c = new Client();
    c.subscribe("room", 1);
    List<Integer> m = publishOnA("room", 3);
    deliver(m.get(0), m.get(2));
    history.holdSince = true;
    time.advanceBy(GAP);
    assertThat(history.held).hasSize(1); // the read has started

    deliver(m.get(1)); // 2 arrives from the broker before the history answers
    assertThat(c.pubs("room")).containsExactly(1L, 2L, 3L);
    history.completeHeld(); // answers 2 and 3 again
    time.runUntilIdle();
    assertThat(c.pubs("room")).as("no duplicate").containsExactly(1L, 2L, 3L);
    assertThat(timers.live()).isZero();
  }

  @Test
  void aGapTheHistoryNoLongerCoversIsALiveResync() {
    Client c = new Client();
    String epoch = c.subscribe("room", 1).get("epoch").asString();
    List<Integer> m = publishOnA("room", KEPT + 2); // 1 and 2 are evicted from the history
    deliver(m.get(0), m.get(m.size() - 1)); // 1, then the newest; 2 .. KEPT + 1 lost
    time.advanceBy(GAP);
    JsonNode resync = c.last("resync");
    assertThat(resync.get("channel").asString()).isEqualTo("room");
    assertThat(resync.get("epoch").asString()).isEqualTo(epoch);
    assertThat(resync.get("offset").asLong()).isEqualTo(KEPT + 2);
    assertThat(resync.get("reason").asString()).isEqualTo("evicted");
    assertThat(b.stats().resyncs()).isEqualTo(1);
    assertThat(timers.live()).isZero();

    deliver(m.get(5)); // an old one arriving late: dropped
    deliver(publishOnA("room", 1).get(0)); // live pubs continue after the resync's offset
    assertThat(c.log())
        .containsExactly(
            "reply room 0", "pub room 1", "resync room " + (KEPT + 2), "pub room " + (KEPT + 3));
  }

  @Test
  void brokerGapFillsEveryChannelWithSubscribersFromTheHistoryAtOnce() {
    Client one = new Client();
    Client two = new Client();
    String ex = one.subscribe("x", 1).get("epoch").asString();
    String ey = one.subscribe("y", 2).get("epoch").asString();
    String ez = one.subscribe("z", 3).get("epoch").asString();
    two.subscribe("y", 1);
    publishOnA("x", 2);
    publishOnA("y", 3);
    publishOnA("elsewhere", 2); // no subscriber on B: not read
    // the broker lost every one of them; nothing is held, so no timer is armed
    time.runUntilIdle();
    assertThat(one.pubs("x")).isEmpty();
    assertThat(timers.armed).isEmpty();

    broker.gap();
    time.runUntilIdle();
    assertThat(one.pubs("x")).containsExactly(1L, 2L);
    assertThat(one.pubs("y")).containsExactly(1L, 2L, 3L);
    assertThat(two.pubs("y")).containsExactly(1L, 2L, 3L);
    assertThat(one.pubs("z")).isEmpty();
    assertThat(history.sinceReads)
        .containsExactlyInAnyOrder("x@" + ex + "-0", "y@" + ey + "-0", "z@" + ez + "-0");
    assertThat(b.stats().gapFills()).isEqualTo(3);
    assertThat(time.now()).as("no timer was needed").isEqualTo(Duration.ZERO);
    assertThat(timers.armed).isEmpty();

    broker.gap(); // a second notice finds nothing new
    time.runUntilIdle();
    assertThat(one.pubs("y")).containsExactly(1L, 2L, 3L);
    assertThat(two.pubs("y")).containsExactly(1L, 2L, 3L);
  }

  @Test
  void brokerGapWhileAGapTimerIsArmedFillsAtOnceAndCancelsTheTimer() {
    Client c = new Client();
    c.subscribe("room", 1);
    List<Integer> m = publishOnA("room", 3);
    deliver(m.get(0), m.get(2));
    assertThat(timers.live()).isEqualTo(1);

    broker.gap();
    time.runUntilIdle();
    assertThat(c.pubs("room")).containsExactly(1L, 2L, 3L);
    assertThat(history.sinceReads).hasSize(1);
    assertThat(timers.live()).as("the timer of the gap just filled").isZero();

    time.advanceBy(GAP.multipliedBy(4));
    assertThat(history.sinceReads).as("no second read for the same gap").hasSize(1);
    assertThat(b.stats().gapFills()).isEqualTo(1);
  }

  @Test
  void aFullReorderBufferIsFilledAtOnceWithoutWaitingForTheTimer() {
    Client c = new Client();
    c.subscribe("room", 1);
    List<Integer> m = publishOnA("room", Channels.MAX_REORDER + 3);
    deliver(m.get(0));
    for (int i = 2; i < m.size() - 1; i++) {
      broker.deliver(m.get(i)); // 3 .. MAX_REORDER + 2: the buffer is full, 2 still missing
    }
    time.runUntilIdle();
    assertThat(c.pubs("room")).containsExactly(1L);
    assertThat(history.sinceReads).isEmpty();

    deliver(m.get(m.size() - 1)); // one more than the buffer holds
    assertThat(history.sinceReads).hasSize(1);
    assertThat(c.pubs("room")).hasSize(Channels.MAX_REORDER + 3).isSorted().doesNotHaveDuplicates();
    assertThat(time.now()).isEqualTo(Duration.ZERO);
    assertThat(timers.live()).isZero();
  }

  @Test
  void aFullBufferWhileTheHistoryFailsReadsOncePerGapTimeoutNotOncePerArrival() {
    Client c = new Client();
    c.subscribe("room", 1);
    int total = Channels.MAX_REORDER + 102;
    List<Integer> m = publishOnA("room", total);
    deliver(m.get(0));
    history.failSince = true;
    for (int i = 2; i < m.size(); i++) {
      broker.deliver(m.get(i)); // 3 .. total: the buffer fills, then 100 more arrive
    }
    time.runUntilIdle();
    assertThat(history.sinceReads).as("one read, failed; the rest wait for the timer").hasSize(1);
    assertThat(c.pubs("room")).containsExactly(1L);

    time.advanceBy(GAP.minusNanos(1));
    assertThat(history.sinceReads).hasSize(1);
    time.advanceBy(Duration.ofNanos(1));
    assertThat(history.sinceReads).hasSize(2);

    history.failSince = false;
    time.advanceBy(GAP);
    assertThat(history.sinceReads).hasSize(3);
    assertThat(c.pubs("room"))
        .as("the ones not held were read from the history")
        .hasSize(total)
        .isSorted()
        .doesNotHaveDuplicates();
    assertThat(timers.live()).isZero();
  }

  @Test
  void publicationsNotHeldWhileAFillRunsAreReadRightAfterIt() {
    Client c = new Client();
    c.subscribe("room", 1);
    List<Integer> m = publishOnA("room", Channels.MAX_REORDER + 3);
    deliver(m.get(0));
    for (int i = 2; i < m.size() - 1; i++) {
      broker.deliver(m.get(i)); // the buffer is full
    }
    history.holdSince = true;
    deliver(m.get(m.size() - 1)); // not held: the read starts (it sees up to here)
    assertThat(history.sinceReads).hasSize(1);

    List<Integer> later = publishOnA("room", 2); // published after the read
    deliver(later.get(0), later.get(1)); // not held either: the buffer is still full
    history.holdSince = false;
    history.completeHeld();
    time.runUntilIdle();
    assertThat(history.sinceReads).as("a second read, at once, for the last two").hasSize(2);
    assertThat(c.pubs("room")).hasSize(Channels.MAX_REORDER + 5).isSorted().doesNotHaveDuplicates();
    assertThat(time.now()).isEqualTo(Duration.ZERO);
    assertThat(timers.live()).isZero();
  }

  @Test
  void aFailedFillIsTriedAgainEveryGapTimeoutUntilTheHistoryAnswers() {
    Client c = new Client();
    c.subscribe("room", 1);
    List<Integer> m = publishOnA("room", 3);
    deliver(m.get(0), m.get(2));
    history.failSince = true;

    time.advanceBy(GAP);
    assertThat(history.sinceReads).hasSize(1);
    assertThat(c.pubs("room")).containsExactly(1L);
    assertThat(c.log())
        .as("the subscriber is not told")
        .containsExactly("reply room 0", "pub room 1");
    assertThat(timers.live()).as("tried again later").isEqualTo(1);

    time.advanceBy(GAP.minusNanos(1));
    assertThat(history.sinceReads).hasSize(1);
    time.advanceBy(Duration.ofNanos(1));
    assertThat(history.sinceReads).hasSize(2);

    history.failSince = false;
    time.advanceBy(GAP);
    assertThat(history.sinceReads).hasSize(3);
    assertThat(c.pubs("room")).containsExactly(1L, 2L, 3L);
    assertThat(timers.live()).isZero();
    assertThat(b.stats().gapFills()).isEqualTo(3);
    assertThat(c.ws.ended()).isFalse();
  }

  @Test
  void aFailedFillAfterABrokerGapIsTriedAgainAlsoWhenNothingIsHeld() {
    // The broker lost 1 and 2 (nothing arrived, so nothing is held) and the history fails the
    // fill that the gap notice starts: without a retry the subscriber would wait for the next
    // publication to notice the gap.
    Client c = new Client();
    c.subscribe("room", 1);
    publishOnA("room", 2);
    history.failSince = true;
    broker.gap();
    time.runUntilIdle();
    assertThat(history.sinceReads).hasSize(1);
    assertThat(c.pubs("room")).isEmpty();
    assertThat(timers.live()).isEqualTo(1);

    history.failSince = false;
    time.advanceBy(GAP);
    assertThat(history.sinceReads).hasSize(2);
    assertThat(c.pubs("room")).containsExactly(1L, 2L);
    assertThat(timers.live()).isZero();
  }

  @Test
  void unsubscribeWhileTheChannelWaitsOnAGapCancelsTheTimerAndNothingIsDeliveredAfter() {
    Client c = new Client();
    c.subscribe("room", 1);
    List<Integer> m = publishOnA("room", 4);
    deliver(m.get(0), m.get(2));
    assertThat(timers.live()).isEqualTo(1);

    c.send("{\"type\":\"unsubscribe\",\"id\":2,\"channel\":\"room\"}");
    assertThat(c.last("reply").get("id").asLong()).isEqualTo(2);
    assertThat(timers.armed.get(0).cancelled).isTrue();
    assertThat(timers.live()).isZero();
    assertThat(b.stats().channels()).isZero();

    int seen = c.ws.sentTexts().size();
    deliver(m.get(1), m.get(3));
    time.advanceBy(GAP.multipliedBy(4));
    assertThat(c.ws.sentTexts()).as("nothing after the unsubscribe reply").hasSize(seen);
    assertThat(history.sinceReads).isEmpty();
    assertThat(c.log()).containsExactly("reply room 0", "pub room 1", "reply room");
  }

  @Test
  void oneSubscriberLeavingWhileTheOtherWaitsOnAGap() {
    Client leaves = new Client();
    Client stays = new Client();
    leaves.subscribe("room", 1);
    stays.subscribe("room", 1);
    List<Integer> m = publishOnA("room", 3);
    deliver(m.get(0), m.get(2));
    leaves.send("{\"type\":\"unsubscribe\",\"id\":2,\"channel\":\"room\"}");
    assertThat(timers.live()).as("the channel still has a subscriber").isEqualTo(1);

    time.advanceBy(GAP);
    assertThat(stays.pubs("room")).containsExactly(1L, 2L, 3L);
    assertThat(leaves.pubs("room")).containsExactly(1L);
    assertThat(leaves.log()).endsWith("reply room");
  }

  @Test
  void closingWhileTheChannelWaitsOnAGapCancelsTheTimer() {
    Client c = new Client();
    c.subscribe("room", 1);
    List<Integer> m = publishOnA("room", 3);
    deliver(m.get(0), m.get(2));
    assertThat(timers.live()).isEqualTo(1);

    c.ws.peerClose(1000, "bye");
    time.runUntilIdle();
    assertThat(timers.armed.get(0).cancelled).isTrue();
    assertThat(time.pendingTasks()).as("no timer of B or of the connection left").isZero();
    assertThat(b.stats().subscribers()).isZero();
    assertThat(b.stats().channels()).isZero();

    deliver(m.get(1));
    time.advanceBy(GAP.multipliedBy(4));
    assertThat(history.sinceReads).isEmpty();
    assertThat(c.pubs("room")).containsExactly(1L);
  }

  @Test
  void aDropWhileAFillIsInFlightDeliversNothingAndLeavesNoTimer() {
    Client c = new Client();
    c.subscribe("room", 1);
    List<Integer> m = publishOnA("room", 3);
    deliver(m.get(0), m.get(2));
    history.holdSince = true;
    time.advanceBy(GAP);
    assertThat(history.held).hasSize(1); // the fill is waiting for the history

    c.ws.drop();
    time.runUntilIdle();
    int seen = c.ws.sentTexts().size();
    history.completeHeld(); // the read answers 2 and 3 after the subscriber left
    time.runUntilIdle();
    assertThat(c.ws.sentTexts()).hasSize(seen);
    assertThat(c.pubs("room")).containsExactly(1L);
    assertThat(timers.live()).isZero();
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void aFillThatFailsAfterTheLastSubscriberLeftArmsNoTimer() {
    Client c = new Client();
    c.subscribe("room", 1);
    List<Integer> m = publishOnA("room", 3);
    deliver(m.get(0), m.get(2));
    history.holdSince = true;
    time.advanceBy(GAP);
    assertThat(history.held).hasSize(1);

    c.ws.peerClose(1000, "bye");
    time.runUntilIdle();
    history.failSince = true;
    history.completeHeld(); // fails: 3 is still held, but the channel is gone
    time.runUntilIdle();
    assertThat(timers.live()).as("no retry for a channel nobody listens to").isZero();
    assertThat(time.pendingTasks()).isZero();
    assertThat(b.stats().channels()).isZero();
  }
}
