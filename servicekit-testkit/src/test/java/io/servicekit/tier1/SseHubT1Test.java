package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.Codec;
import io.servicekit.DecodeException;
import io.servicekit.Message;
import io.servicekit.Request;
import io.servicekit.internal.driver.SseConnection;
import io.servicekit.sse.ResumableStreams;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseHub;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseParser;
import io.servicekit.sse.StreamEnd;
import io.servicekit.testkit.FakeRequest;
import io.servicekit.testkit.MemoryStream;
import io.servicekit.testkit.VirtualScheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Tier 1 (moved from servicekit-core): the SSE hub (upstream §13.5) on virtual time, asserting
 * written bytes where upstream asserted only return values.
 */
class SseHubT1Test {
  private final VirtualScheduler time = new VirtualScheduler();

  private record Member(SseProbe conn, SseConnection<Object> connection, MemoryStream wire) {}

  private static Request get(String path) {
    return FakeRequest.builder().path(path).build();
  }

  /**
   * Runs what is due. Locked because one test drives the hub from several threads and only one at a
   * time may run the scheduler's tasks.
   */
  private void settle() {
    synchronized (time) {
      time.runUntilIdle();
    }
  }

  private SseConnection<Object> opened(
      SseListener<Object> listener, SseConfig config, MemoryStream t) {
    SseConnection<Object> c = new SseConnection<>(listener, config, get("/hub"), null);
    c.open(t);
    settle();
    assertThat(t.writes()).as("the header flush").isGreaterThanOrEqualTo(1);
    return c;
  }

  private Member start(SseHub<Object> hub, MemoryStream t, SseConfig config) {
    SseProbe conn = new SseProbe();
    SseConnection<Object> c = opened(conn, config, t);
    assertThat(hub.register(c)).isTrue();
    return new Member(conn, c, t);
  }

  private Member start(SseHub<Object> hub) {
    return start(hub, new MemoryStream(), SseConfig.builder().scheduler(time).build());
  }

  @Test
  void registerAndUnregisterCount() {
    SseHub<Object> hub = new SseHub<>();
    Member a = start(hub);
    Member b = start(hub);
    Member c = start(hub);
    assertThat(hub.count()).isEqualTo(3);
    assertThat(hub.unregister(a.connection().id())).isTrue();
    assertThat(hub.count()).isEqualTo(2);
    hub.unregister(b.connection());
    hub.unregister(c.connection().id());
    hub.unregister("unknown");
    assertThat(hub.count()).isZero();
  }

  @Test
  void registrationBeforeStartAndDuplicatesAreRefused() {
    SseHub<Object> hub = new SseHub<>();
    SseConnection<Object> notOpened =
        new SseConnection<>(
            new SseProbe(), SseConfig.builder().scheduler(time).build(), get("/"), null);
    assertThat(hub.register(notOpened)).as("not started").isFalse();
    Member a = start(hub);
    assertThat(hub.register(a.connection())).as("already registered").isFalse();
  }

  @Test
  void membersCanBeKeyedByTheApplicationAndLeaveByThemselves() {
    SseHub<Object> hub = new SseHub<>();
    MemoryStream t = new MemoryStream();
    SseConnection<Object> c =
        opened(new SseProbe(), SseConfig.builder().scheduler(time).build(), t);
    assertThat(hub.register("alice", c)).isTrue();
    assertThat(hub.register("alice", c)).as("key taken").isFalse();
    assertThat(hub.get("alice")).isSameAs(c);
    assertThat(hub.get(c.id())).as("keyed by the application, not the session id").isNull();
    assertThat(hub.send("alice", "hi")).isTrue();
    settle();
    assertThat(t.text()).isEqualTo("data: \"hi\"\n\n");
    CompletableFuture<StreamEnd> seen = new CompletableFuture<>();
    c.whenClosed(seen::complete);
    c.onTransportFailure(new RuntimeException("gone"));
    settle();
    assertThat(hub.count()).isZero();
    assertThat(seen).isDone();
    assertThat(seen.join().reason()).isEqualTo(StreamEnd.Reason.DISCONNECTED);
    assertThat(hub.unregister(c)).isFalse();
  }

  @Test
  void closedMembersLeaveByThemselves() {
    SseHub<Object> hub = new SseHub<>();
    Member a = start(hub);
    assertThat(hub.count()).isEqualTo(1);
    List<Integer> countAtClose = new ArrayList<>();
    a.connection().closeFuture().thenRun(() -> countAtClose.add(hub.count()));
    a.connection().onTransportFailure(new RuntimeException("gone"));
    settle();
    assertThat(hub.count()).isZero();
    // it left before its close future completed (a whenClosed action), not after
    assertThat(countAtClose).containsExactly(0);
  }

  @Test
  void sendToKnownAndUnknownIds() {
    SseHub<Object> hub = new SseHub<>();
    Member a = start(hub);
    assertThat(hub.send(a.connection().id(), Map.of("n", 1))).isTrue();
    assertThat(hub.sendEvent(a.connection().id(), "alert", "x")).isTrue();
    assertThat(hub.sendEventWithId(a.connection().id(), "update", "42", "y")).isTrue();
    assertThat(hub.send("nope", "x")).isFalse();
    assertThat(hub.sendEventWithId("nope", "e", "1", "x")).isFalse();
    settle();
    assertThat(a.wire().text())
        .isEqualTo(
            "data: {\"n\":1}\n\nevent: alert\ndata: \"x\"\n\nevent: update\nid: 42\ndata: \"y\"\n\n");
  }

  @Test
  void broadcastsReachEveryMember() {
    SseHub<Object> hub = new SseHub<>();
    List<Member> members = List.of(start(hub), start(hub), start(hub));
    assertThat(hub.broadcast("hi")).isEqualTo(3);
    assertThat(hub.broadcastEvent("alert", "careful")).isEqualTo(3);
    assertThat(hub.broadcastEventWithId("update", "7", "v")).isEqualTo(3);
    settle();
    for (Member m : members) {
      assertThat(m.wire().text())
          .isEqualTo(
              "data: \"hi\"\n\nevent: alert\ndata: \"careful\"\n\nevent: update\nid: 7\ndata: \"v\"\n\n");
    }
  }

  @Test
  void aMessageIsEncodedOncePerCodec() {
    AtomicInteger encodes = new AtomicInteger();
    Codec<Object, Object> counting =
        new Codec<>() {
          @Override
          public Object decode(Message frame) throws DecodeException {
            throw new DecodeException("write-only");
          }

          @Override
          public Message encode(Object message) {
            encodes.incrementAndGet();
            return Message.text(String.valueOf(message));
          }
        };
    SseHub<Object> hub = new SseHub<>();
    for (int i = 0; i < 5; i++) {
      SseListener<Object> listener = SseListener.of("Counting", counting, s -> {});
      SseConnection<Object> c =
          opened(listener, SseConfig.builder().scheduler(time).build(), new MemoryStream());
      assertThat(hub.register(c)).isTrue();
    }
    assertThat(hub.broadcast("x")).isEqualTo(5);
    settle();
    assertThat(encodes).hasValue(1);
  }

  @Test
  void closeAllEmptiesTheHubEndsEveryStreamAndRunsEachOnCloseOnce() {
    SseHub<Object> hub = new SseHub<>();
    List<Member> members = List.of(start(hub), start(hub), start(hub));
    hub.closeAll("shutdown", Map.of("reason", "restart"));
    assertThat(hub.count()).isZero();
    settle();
    for (Member m : members) {
      assertThat(m.conn().closes).hasSize(1);
      assertThat(m.wire().ended()).isTrue();
      assertThat(m.wire().text()).isEqualTo("event: shutdown\ndata: {\"reason\":\"restart\"}\n\n");
      assertThat(m.conn().closes.get(0).reason()).isEqualTo(StreamEnd.Reason.CLOSED);
      assertThat(m.connection().isOpen()).isFalse();
    }
    Member later = start(hub);
    assertThat(hub.broadcast("again")).as("the hub stays usable").isEqualTo(1);
    hub.closeAll();
    settle();
    assertThat(later.conn().closes).hasSize(1);
  }

  @Test
  void aStalledMemberNeverDelaysABroadcastToTheOthers() {
    SseHub<Object> hub = new SseHub<>();
    SseConfig small = SseConfig.builder().scheduler(time).maxQueuedBytes(1000).build();
    Member stalled = start(hub, new MemoryStream().holdWrites(), small);
    List<Member> healthy = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      healthy.add(start(hub, new MemoryStream(), small));
    }
    for (int i = 0; i < 100; i++) {
      hub.broadcast("event-" + i + "-" + "x".repeat(40));
    }
    settle();
    for (Member m : healthy) {
      assertThat(SseParser.parse(m.wire().text())).hasSize(100);
    }
    assertThat(stalled.conn().closes).hasSize(1);
    assertThat(stalled.conn().closes.get(0).reason()).isEqualTo(StreamEnd.Reason.SLOW_CONSUMER);
    assertThat(hub.count()).isEqualTo(5);
  }

  @Test
  void resumableBroadcastPublishesOncePerStream() {
    ResumableStreams streams = ResumableStreams.inMemory();
    SseConfig config = SseConfig.builder().scheduler(time).resumable(streams).build();
    SseHub<Object> hub = new SseHub<>();
    List<Member> members = new ArrayList<>();
    for (String path : List.of("/a", "/a", "/a", "/b")) {
      SseProbe conn = new SseProbe();
      SseConnection<Object> c = new SseConnection<>(conn, config, get(path), null);
      MemoryStream t = new MemoryStream();
      c.open(t);
      settle();
      assertThat(t.writes()).isGreaterThanOrEqualTo(1);
      hub.register(c);
      members.add(new Member(conn, c, t));
    }
    assertThat(hub.broadcast("hello")).isEqualTo(4);
    settle();
    assertThat(streams.store().events("/a")).hasSize(1);
    assertThat(streams.store().events("/b")).hasSize(1);
    for (Member m : members) {
      assertThat(SseParser.parse(m.wire().text()))
          .as("each connection gets the event once")
          .hasSize(1);
    }
  }

  /**
   * Several threads use the hub at once (its thread-safety is under test); the scheduler's tasks
   * still run one at a time, in {@link #settle}.
   */
  @Test
  void concurrentRegisterBroadcastSendCountUnregister() throws Exception {
    SseHub<Object> hub = new SseHub<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int w = 0; w < 3; w++) {
        fs.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 20; i++) {
                    Member m = start(hub);
                    hub.broadcast(i);
                    hub.send(m.connection().id(), "direct");
                    hub.count();
                    if (i % 2 == 0) {
                      hub.unregister(m.connection().id());
                    } else {
                      m.connection().close();
                    }
                  }
                }));
      }
      fs.add(
          pool.submit(
              () -> {
                for (int i = 0; i < 200; i++) {
                  hub.broadcastEvent("tick", i);
                }
              }));
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    settle();
    assertThat(hub.count()).isZero();
  }
}
