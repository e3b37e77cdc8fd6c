package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.Scheduler;
import io.servicekit.testkit.VirtualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class VirtualSchedulerTest {
  private final VirtualScheduler time = new VirtualScheduler();
  private final List<String> ran = new ArrayList<>();

  @Test
  void executedTasksQueueUntilRunUntilIdleAndRunOnTheCallingThread() {
    Thread test = Thread.currentThread();
    time.execute("a", () -> ran.add("a:" + (Thread.currentThread() == test)));
    assertThat(ran).isEmpty();
    assertThat(time.isIdle()).isFalse();
    assertThat(time.runUntilIdle()).isEqualTo(1);
    assertThat(ran).containsExactly("a:true");
    assertThat(time.isIdle()).isTrue();
  }

  @Test
  void tasksQueuedByTasksRunInTheSameCallInSubmissionOrder() {
    Executor serial = time.serial("s");
    serial.execute(
        () -> {
          ran.add("1");
          serial.execute(() -> ran.add("3"));
        });
    serial.execute(() -> ran.add("2"));
    assertThat(time.runUntilIdle()).isEqualTo(3);
    assertThat(ran).containsExactly("1", "2", "3");
  }

  @Test
  void advanceByRunsTimersInTimeOrderWithTheClockAtEachDueTime() {
    time.schedule(() -> ran.add("b@" + time.now().toSeconds()), Duration.ofSeconds(2));
    time.schedule(() -> ran.add("a@" + time.now().toSeconds()), Duration.ofSeconds(1));
    Scheduler.Cancellable c = time.schedule(() -> ran.add("never"), Duration.ofSeconds(1));
    c.cancel();
    time.schedule(
        () -> {
          ran.add("c@" + time.now().toSeconds());
          time.execute("d", () -> ran.add("d@" + time.now().toSeconds()));
        },
        Duration.ofSeconds(3));
    time.advanceBy(Duration.ofMillis(2999));
    assertThat(ran).containsExactly("a@1", "b@2");
    time.advanceBy(Duration.ofMillis(1));
    assertThat(ran).containsExactly("a@1", "b@2", "c@3", "d@3");
    assertThat(time.now()).isEqualTo(Duration.ofSeconds(3));
    assertThat(time.pendingTasks()).isZero();
    assertThat(time.tasksRun()).isEqualTo(4);
  }

  @Test
  void runUntilIdleDoesNotMoveTime() {
    time.schedule(() -> ran.add("later"), Duration.ofNanos(1));
    assertThat(time.runUntilIdle()).isZero();
    assertThat(time.nanoTime()).isZero();
    assertThat(time.pendingTasks()).isEqualTo(1);
  }

  @Test
  void misuseIsRefusedWithAClearError() {
    assertThatThrownBy(() -> time.advanceBy(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("time cannot go back");
    time.execute("nested", time::runUntilIdle);
    assertThatThrownBy(time::runUntilIdle)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("from inside a task");
    // The run is over after the failure: the scheduler is usable again.
    time.execute("after", () -> ran.add("after"));
    time.runUntilIdle();
    assertThat(ran).containsExactly("after");
  }

  @Test
  void aThrowingTaskReachesTheTest() {
    time.execute(
        "boom",
        () -> {
          throw new IllegalStateException("task failed (expected by the test)");
        });
    assertThatThrownBy(time::runUntilIdle).hasMessageContaining("task failed");
  }
}
