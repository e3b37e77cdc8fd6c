package io.servicekit.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.Codec;
import io.servicekit.DecodeException;
import io.servicekit.Message;
import io.servicekit.internal.driver.SseConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Upstream §13.5 (hub), asserting written bytes where upstream asserted only return values. */
class SseHubTest {
  private final ManualScheduler time = new ManualScheduler();

  private record Member(
      ProbeConn conn, SseConnection<Object> connection, RecordingTransport transport) {}

  private Member start(SseHub<Object> hub, RecordingTransport t, SseConfig config) {
    ProbeConn conn = new ProbeConn(s -> {});
    SseConnection<Object> c = new SseConnection<>(conn, config, TestRequest.get("/hub"), null);
    c.open(t);
    await().atMost(Duration.ofSeconds(5)).until(() -> t.writes() >= 1);
    assertThat(hub.register(c)).isTrue();
    return new Member(conn, c, t);
  }

  private Member start(SseHub<Object> hub) {
    return start(hub, new RecordingTransport(), SseConfig.builder().scheduler(time).build());
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
            new ProbeConn(),
            SseConfig.builder().scheduler(time).build(),
            TestRequest.get("/"),
            null);
    assertThat(hub.register(notOpened)).as("not started").isFalse();
    Member a = start(hub);
    assertThat(hub.register(a.connection())).as("already registered").isFalse();
  }

  @Test
  void membersCanBeKeyedByTheApplicationAndLeaveByThemselves() {
    SseHub<Object> hub = new SseHub<>();
    RecordingTransport t = new RecordingTransport();
    SseConnection<Object> c =
        new SseConnection<>(
            new ProbeConn(),
            SseConfig.builder().scheduler(time).build(),
            TestRequest.get("/"),
            null);
    c.open(t);
    await().atMost(Duration.ofSeconds(5)).until(() -> t.writes() >= 1);
    assertThat(hub.register("alice", c)).isTrue();
    assertThat(hub.register("alice", c)).as("key taken").isFalse();
    assertThat(hub.get("alice")).isSameAs(c);
    assertThat(hub.get(c.id())).as("keyed by the application, not the session id").isNull();
    assertThat(hub.send("alice", "hi")).isTrue();
    assertThat(t.text()).isEqualTo("data: \"hi\"\n\n");
    java.util.concurrent.CompletableFuture<StreamEnd> seen =
        new java.util.concurrent.CompletableFuture<>();
    c.whenClosed(seen::complete);
    c.onTransportFailure(new RuntimeException("gone"));
    await().until(() -> hub.count() == 0);
    assertThat(seen.join().reason()).isEqualTo(StreamEnd.Reason.DISCONNECTED);
    assertThat(hub.unregister(c)).isFalse();
  }

  @Test
  void closedMembersLeaveByThemselves() {
    SseHub<Object> hub = new SseHub<>();
    Member a = start(hub);
    a.connection().onTransportFailure(new RuntimeException("gone"));
    await().until(() -> hub.count() == 0);
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
    assertThat(a.transport().text())
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
    for (Member m : members) {
      assertThat(m.transport().text())
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
      RecordingTransport t = new RecordingTransport();
      SseConnection<Object> c =
          new SseConnection<>(
              listener, SseConfig.builder().scheduler(time).build(), TestRequest.get("/"), null);
      c.open(t);
      await().until(() -> t.writes() >= 1);
      assertThat(hub.register(c)).isTrue();
    }
    assertThat(hub.broadcast("x")).isEqualTo(5);
    assertThat(encodes).hasValue(1);
  }

  @Test
  void closeAllEmptiesTheHubEndsEveryStreamAndRunsEachOnCloseOnce() {
    SseHub<Object> hub = new SseHub<>();
    List<Member> members = List.of(start(hub), start(hub), start(hub));
    hub.closeAll("shutdown", Map.of("reason", "restart"));
    assertThat(hub.count()).isZero();
    for (Member m : members) {
      await().until(() -> m.conn().closes.size() == 1);
      assertThat(m.transport().ended).isTrue();
      assertThat(m.transport().text())
          .isEqualTo("event: shutdown\ndata: {\"reason\":\"restart\"}\n\n");
      assertThat(m.conn().closes.get(0).reason()).isEqualTo(StreamEnd.Reason.CLOSED);
      assertThat(m.connection().isOpen()).isFalse();
    }
    Member later = start(hub);
    assertThat(hub.broadcast("again")).as("the hub stays usable").isEqualTo(1);
    hub.closeAll();
    await().until(() -> later.conn().closes.size() == 1);
  }

  @Test
  void aStalledMemberNeverDelaysABroadcastToTheOthers() {
    SseHub<Object> hub = new SseHub<>();
    SseConfig small = SseConfig.builder().scheduler(time).maxQueuedBytes(1000).build();
    Member stalled = start(hub, RecordingTransport.stalled(), small);
    List<Member> healthy = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      healthy.add(start(hub, new RecordingTransport(), small));
    }
    for (int i = 0; i < 100; i++) {
      hub.broadcast("event-" + i + "-" + "x".repeat(40));
    }
    for (Member m : healthy) {
      assertThat(SseParser.parse(m.transport().text())).hasSize(100);
    }
    await().until(() -> stalled.conn().closes.size() == 1);
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
      ProbeConn conn = new ProbeConn();
      SseConnection<Object> c = new SseConnection<>(conn, config, TestRequest.get(path), null);
      RecordingTransport t = new RecordingTransport();
      c.open(t);
      await().until(() -> t.writes() >= 1);
      hub.register(c);
      members.add(new Member(conn, c, t));
    }
    assertThat(hub.broadcast("hello")).isEqualTo(4);
    assertThat(streams.store().events("/a")).hasSize(1);
    assertThat(streams.store().events("/b")).hasSize(1);
    for (Member m : members) {
      assertThat(SseParser.parse(m.transport().text()))
          .as("each connection gets the event once")
          .hasSize(1);
    }
  }

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
    await().until(() -> hub.count() == 0);
  }
}
