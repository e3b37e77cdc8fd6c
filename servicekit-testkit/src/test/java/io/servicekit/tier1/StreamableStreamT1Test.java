package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.internal.driver.StreamableStream;
import io.servicekit.streamable.StreamClosedException;
import io.servicekit.streamable.StreamableConfig;
import io.servicekit.testkit.FakeRequest;
import io.servicekit.testkit.MemoryStream;
import io.servicekit.testkit.VirtualScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tier 1: the streamed-response driver ({@link StreamableStream}) with producers that do not block,
 * on virtual time: the producer runs on the test thread inside {@code runUntilIdle}.
 */
class StreamableStreamT1Test {
  private static final io.servicekit.Request REQUEST =
      FakeRequest.builder().method("POST").path("/mcp").build();

  private final VirtualScheduler time = new VirtualScheduler();
  private final MemoryStream wire = new MemoryStream();

  private StreamableConfig.Builder config() {
    return StreamableConfig.builder().scheduler(time).keepalivePeriod(Duration.ZERO);
  }

  @Test
  void theProducerRunsOnlyWhenTheSchedulerRunsIt() {
    StreamableStream stream = new StreamableStream(config().build(), REQUEST, "test");
    List<String> closes = new ArrayList<>();
    stream.open(
        wire,
        sink -> {
          sink.whenClosed(() -> closes.add("closed"));
          sink.onClose(() -> closes.add("closed (onClose)"));
          closes.add(sink.request().path() + " " + sink.id().equals(stream.id()));
          sink.send("a", "1", "x");
          sink.comment("note");
        });
    assertThat(stream.request()).isSameAs(REQUEST);
    assertThat(stream.id()).isNotBlank();
    assertThat(wire.text()).isEmpty();
    assertThat(stream.isOpen()).isTrue();
    time.runUntilIdle();
    assertThat(wire.text()).isEqualTo("event: a\nid: 1\ndata: x\n\n: note\n\n");
    assertThat(wire.ended()).isTrue();
    assertThat(closes).containsExactly("/mcp true", "closed", "closed (onClose)");
    assertThat(stream.endReason()).hasValue("stream ended");
    assertThatThrownBy(() -> stream.send(null, null, "after"))
        .isInstanceOf(StreamClosedException.class);
  }

  @Test
  void noKeepaliveIsWrittenAfterTheStreamEnds() {
    StreamableStream stream =
        new StreamableStream(
            config().keepalivePeriod(Duration.ofSeconds(10)).build(), REQUEST, "test");
    stream.open(wire, sink -> sink.send(null, null, "done"));
    time.advanceBy(Duration.ofSeconds(30)); // the producer ran at 0 s and ended the stream
    assertThat(wire.text()).isEqualTo("data: done\n\n");
    assertThat(wire.ended()).isTrue();
    assertThat(time.pendingTasks()).isZero(); // the keepalive timer was cancelled
  }

  @Test
  void aWriteThatNeverCompletesTimesOutAndAbortsTheResponse() {
    wire.holdWrites();
    StreamableStream stream =
        new StreamableStream(config().writeTimeout(Duration.ofSeconds(5)).build(), REQUEST, "test");
    stream.open(wire, sink -> sink.send(null, null, "stuck"));
    time.runUntilIdle();
    time.advanceBy(Duration.ofMillis(4999));
    assertThat(wire.aborted()).isEmpty();
    time.advanceBy(Duration.ofMillis(1));
    assertThat(wire.aborted()).isPresent();
    assertThat(stream.endReason()).hasValueSatisfying(r -> assertThat(r).contains("write timeout"));
  }

  @Test
  void aFailingWriteEndsTheStream() {
    wire.failWrites(new IOException("client gone (test)"));
    StreamableStream stream = new StreamableStream(config().build(), REQUEST, "test");
    stream.open(wire, sink -> sink.send(null, null, "x"));
    time.runUntilIdle();
    assertThat(stream.isOpen()).isFalse();
    assertThat(stream.endReason()).hasValueSatisfying(r -> assertThat(r).contains("write failed"));
  }

  @Test
  void aProducerExceptionEndsTheStreamAfterFlushing() {
    StreamableStream stream = new StreamableStream(config().build(), REQUEST, "test");
    stream.open(
        wire,
        sink -> {
          sink.send(null, null, "partial");
          throw new IllegalStateException("broken producer (expected by the test)");
        });
    time.runUntilIdle();
    assertThat(wire.ended()).isTrue();
    assertThat(wire.text()).isEqualTo("data: partial\n\n");
  }

  /**
   * The stream's whenClosed actions (a Streamable stream has no onClose callback nor close future
   * of its own) run once, in order, after the end, even when one throws; one added after the end
   * runs at once, on the calling thread.
   */
  @Test
  void whenClosedActionsRunInOrderAtTheEndAndALateOneAtOnce() {
    StreamableStream stream = new StreamableStream(config().build(), REQUEST, "test");
    List<String> order = new ArrayList<>();
    stream.whenClosed(
        () -> order.add("first " + stream.isFinished() + " " + stream.endReason().orElse("none")));
    stream.whenClosed(
        () -> {
          throw new IllegalStateException("a failing action");
        });
    stream.onClose(() -> order.add("second"));
    stream.open(wire, sink -> sink.send("a", null, "x"));
    time.runUntilIdle();
    assertThat(wire.ended()).isTrue();
    assertThat(order).containsExactly("first true stream ended", "second");
    stream.whenClosed(() -> order.add("late"));
    assertThat(order).containsExactly("first true stream ended", "second", "late");
    assertThat(time.pendingTasks()).isZero();
  }
}
