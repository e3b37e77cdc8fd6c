package io.servicekit.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SerialExecutorTest {
  private final SerialExecutor executor = new SerialExecutor();

  @Test
  void anIdleExecutorRunsInlineTasksInTheCallingVirtualThread() throws Exception {
    List<Thread> ranOn = new CopyOnWriteArrayList<>();
    Thread caller =
        Thread.ofVirtual()
            .start(() -> executor.executeInline(() -> ranOn.add(Thread.currentThread())));
    caller.join(10_000);
    assertThat(ranOn).containsExactly(caller);
  }

  @Test
  void aPlatformThreadAlwaysHandsOff() throws Exception {
    CountDownLatch ran = new CountDownLatch(1);
    List<Thread> ranOn = new CopyOnWriteArrayList<>();
    executor.executeInline(
        () -> {
          ranOn.add(Thread.currentThread());
          ran.countDown();
        });
    assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(ranOn.get(0)).isNotSameAs(Thread.currentThread());
    assertThat(ranOn.get(0).isVirtual()).isTrue();
  }

  @Test
  void aBusyExecutorQueuesInlineTasksInOrderBehindTheRunningOne() throws Exception {
    List<String> order = new CopyOnWriteArrayList<>();
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    CountDownLatch allDone = new CountDownLatch(3);
    executor.execute(
        () -> {
          firstStarted.countDown();
          await(releaseFirst);
          order.add("first");
          allDone.countDown();
        });
    assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
    Thread caller =
        Thread.ofVirtual()
            .start(
                () -> {
                  executor.executeInline(
                      () -> {
                        order.add("second");
                        allDone.countDown();
                      });
                  executor.execute(
                      () -> {
                        order.add("third");
                        allDone.countDown();
                      });
                });
    caller.join(10_000);
    assertThat(order).isEmpty(); // the inline task did not jump the queue or run in the caller
    releaseFirst.countDown();
    assertThat(allDone.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(order).containsExactly("first", "second", "third");
  }

  @Test
  void tasksQueuedWhileAnInlineTaskRunsRunAfterItInTheSameThread() throws Exception {
    List<String> order = new CopyOnWriteArrayList<>();
    List<Thread> ranOn = new CopyOnWriteArrayList<>();
    Thread caller =
        Thread.ofVirtual()
            .start(
                () ->
                    executor.executeInline(
                        () -> {
                          executor.execute(
                              () -> {
                                order.add("queued");
                                ranOn.add(Thread.currentThread());
                              });
                          order.add("inline");
                        }));
    caller.join(10_000);
    assertThat(order).containsExactly("inline", "queued");
    assertThat(ranOn).containsExactly(caller);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
