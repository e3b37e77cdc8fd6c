package io.servicekit.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.Scheduler;
import io.servicekit.channel.ReplyException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class PendingRepliesTest {
  /** Timers that run only when the test fires them. */
  static final class ManualScheduler implements Scheduler {
    final List<Runnable> timers = new ArrayList<>();
    final List<Boolean> cancelled = new ArrayList<>();

    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
      int i = timers.size();
      timers.add(task);
      cancelled.add(false);
      return () -> cancelled.set(i, true);
    }

    @Override
    public long nanoTime() {
      return 0;
    }

    void fire(int i) {
      if (!cancelled.get(i)) {
        timers.get(i).run();
      }
    }
  }

  private final ManualScheduler time = new ManualScheduler();
  private final PendingReplies<String> replies = new PendingReplies<>(time, 3);

  @Test
  void idsArePositiveAndConsecutiveAndARepliesCompletesExactlyOnce() {
    var a = replies.open(Duration.ofSeconds(5));
    var b = replies.open(Duration.ofSeconds(5));
    assertThat(a.id()).isEqualTo(1);
    assertThat(b.id()).isEqualTo(2);
    assertThat(replies.pending()).isEqualTo(2);

    assertThat(replies.complete(a.id(), "ok")).isTrue();
    assertThat(a.future()).isCompletedWithValue("ok");
    assertThat(replies.complete(a.id(), "again")).isFalse();
    assertThat(replies.complete(99, "never sent")).isFalse();
    assertThat(replies.late()).isEqualTo(2);
    assertThat(replies.pending()).isEqualTo(1);
    assertThat(time.cancelled.get(0)).as("timer of an answered request is cancelled").isTrue();
  }

  @Test
  void anErrorReplyFailsTheFuture() {
    var a = replies.open(Duration.ofSeconds(5));
    assertThat(replies.fail(a.id(), new ReplyException("forbidden", "no"))).isTrue();
    assertThatThrownBy(() -> a.future().join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(ReplyException.class)
        .satisfies(e -> assertThat(((ReplyException) e).code()).isEqualTo("forbidden"));
    assertThat(replies.pending()).isZero();
  }

  @Test
  void theTimeoutFailsWithCodeTimeoutAndALateReplyIsCounted() {
    var a = replies.open(Duration.ofSeconds(5));
    time.fire(0);
    assertThatThrownBy(() -> a.future().join())
        .cause()
        .isInstanceOf(ReplyException.class)
        .hasMessageContaining("no reply to request 1 within PT5S")
        .satisfies(e -> assertThat(((ReplyException) e).code()).isEqualTo("timeout"));
    assertThat(replies.pending()).isZero();
    assertThat(replies.complete(a.id(), "late")).isFalse();
    assertThat(replies.late()).isEqualTo(1);
  }

  @Test
  void beyondMaxPendingOpenFailsWithLimitAndFreesAfterAnswers() {
    var a = replies.open(Duration.ofSeconds(5));
    replies.open(Duration.ofSeconds(5));
    replies.open(Duration.ofSeconds(5));
    assertThatThrownBy(() -> replies.open(Duration.ofSeconds(5)))
        .isInstanceOf(ReplyException.class)
        .hasMessageContaining("maxPending is 3")
        .satisfies(e -> assertThat(((ReplyException) e).code()).isEqualTo("limit"));
    replies.complete(a.id(), "x");
    assertThat(replies.open(Duration.ofSeconds(5)).future()).isNotDone();
  }

  @Test
  void cancellingTheFutureRemovesTheEntry() {
    var a = replies.open(Duration.ofSeconds(5));
    a.future().cancel(false);
    assertThat(replies.pending()).isZero();
    assertThat(replies.complete(a.id(), "x")).isFalse();
    assertThat(time.cancelled.get(0)).isTrue();
  }

  @Test
  void failAllAndCloseFailEveryPendingRequestAndCloseFailsLaterOnes() {
    var a = replies.open(Duration.ofSeconds(5));
    var b = replies.open(Duration.ofSeconds(5));
    IOException gone = new IOException("closed 1001");
    assertThat(replies.close(gone)).isEqualTo(2);
    assertThat(a.future()).isCompletedExceptionally();
    assertThat(b.future()).isCompletedExceptionally();
    assertThat(replies.pending()).isZero();
    var c = replies.open(Duration.ofSeconds(5));
    assertThatThrownBy(() -> c.future().join()).cause().isSameAs(gone);
    assertThat(replies.pending()).isZero();

    PendingReplies<String> other = new PendingReplies<>(time, 3);
    var d = other.open(Duration.ofSeconds(5));
    assertThat(other.failAll(new CancellationException("x"))).isEqualTo(1);
    assertThat(d.future()).isCompletedExceptionally();
    assertThat(other.open(Duration.ofSeconds(5)).future()).isNotDone();
  }

  @Test
  void badSettingsAndCodesAreRefusedByName() {
    assertThatThrownBy(() -> new PendingReplies<String>(time, 0))
        .hasMessageContaining("maxPending must be positive, was 0");
    assertThatThrownBy(() -> replies.open(Duration.ZERO))
        .hasMessageContaining("timeout must be positive, was PT0S");
    assertThatThrownBy(() -> new ReplyException("Bad Code", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reply code must be 1-64 characters of [a-z0-9_], was \"Bad Code\"");
  }
}
