package io.servicekit.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.servicekit.channel.ChannelHistory;
import io.servicekit.channel.Publication;
import io.servicekit.channel.Recovery;
import io.servicekit.channel.StreamPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The rules of {@link ChannelHistory}, as JUnit 5 tests every implementation runs: extend this
 * class in a test and implement {@link #newHistory}.
 *
 * <pre>{@code
 * class MyHistoryContractTest extends ChannelHistoryContract {
 *   @Override
 *   protected ChannelHistory newHistory(int maxPublications, Duration maxAge) {
 *     return new MyHistory(maxPublications, maxAge);
 *   }
 * }
 * }</pre>
 *
 * <p>Every test uses channel names of its own ({@link #channel}), so a store shared between tests
 * (one Redis server) need not be emptied. For a {@link ChannelHistory#shared() shared} history,
 * every call of {@link #newHistory} must give a new instance over <em>the same</em> store: the
 * contract appends from two of them at once. The age limit is tested on the implementation's clock
 * when it lets the test move it ({@link #advanceClock}); otherwise in real time with a short age
 * ({@link #realAge}), polling without sleeps.
 */
public abstract class ChannelHistoryContract {
  /** A limit no test reaches. */
  protected static final Duration LONG_AGE = Duration.ofHours(1);

  private static final Duration WAIT = Duration.ofSeconds(30);

  private final List<ChannelHistory> opened = new CopyOnWriteArrayList<>();
  private String testName = "t";

  /** Subclasses are JUnit test classes. */
  protected ChannelHistoryContract() {}

  /**
   * A history keeping at most {@code maxPublications} per channel and none older than {@code
   * maxAge}. For a shared history, over the same store as every other one this method returns.
   */
  protected abstract ChannelHistory newHistory(int maxPublications, Duration maxAge)
      throws Exception;

  /**
   * Moves the clock of the histories this test made by {@code by}; returns false (the default) when
   * they use real time, and the age test then waits in real time for {@link #realAge}.
   */
  protected boolean advanceClock(Duration by) {
    return false;
  }

  /** The age limit of the real-time age test (default 2 s). */
  protected Duration realAge() {
    return Duration.ofSeconds(2);
  }

  /** A channel name no other test (or earlier run on the same store) uses. */
  protected String channel(String suffix) {
    return "contract:"
        + testName
        + ":"
        + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36)
        + ":"
        + suffix;
  }

  @org.junit.jupiter.api.BeforeEach
  public void name(TestInfo info) {
    testName = info.getTestMethod().map(m -> m.getName()).orElse("t");
  }

  @AfterEach
  public void closeHistories() {
    for (ChannelHistory h : opened) {
      h.close();
    }
    opened.clear();
  }

  private ChannelHistory history(int maxPublications, Duration maxAge) throws Exception {
    ChannelHistory h = newHistory(maxPublications, maxAge);
    opened.add(h);
    return h;
  }

  /** Waits for a stage (at most 30 s), unwrapping its failure. */
  protected static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new CompletionException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (TimeoutException e) {
      throw new AssertionError("the history did not answer within " + WAIT, e);
    }
  }

  @Test
  public void topOfUnusedChannelIsOffsetZeroAndStable() throws Exception {
    ChannelHistory h = history(100, LONG_AGE);
    String c = channel("c");
    StreamPosition first = await(h.top(c));
    assertEquals(0, first.offset(), "top of a channel never used");
    StreamPosition.checkEpoch(first.epoch());
    assertEquals(first, await(h.top(c)), "top asked again");
    Recovery r = await(h.since(c, first));
    assertEquals(new Recovery.Recovered(List.of(), first), r, "since the top of an unused channel");
  }

  @Test
  public void offsetsCountFromOneConsecutivelyPerChannel() throws Exception {
    ChannelHistory h = history(100, LONG_AGE);
    String a = channel("a");
    String b = channel("b");
    StreamPosition top = await(h.top(a));
    for (int i = 1; i <= 5; i++) {
      Publication p = await(h.append(a, "\"a" + i + "\""));
      assertEquals(new StreamPosition(top.epoch(), i), p.position(), "append " + i + " of " + a);
      assertEquals(a, p.channel());
      assertEquals("\"a" + i + "\"", p.data());
    }
    Publication other = await(h.append(b, "{\"x\":1}"));
    assertEquals(1, other.offset(), "first append of another channel");
    assertEquals(new StreamPosition(top.epoch(), 5), await(h.top(a)), "top after five appends");
    assertEquals(other.position(), await(h.top(b)));
  }

  @Test
  public void sinceAnswersExactlyThePublicationsAfterThePosition() throws Exception {
    ChannelHistory h = history(100, LONG_AGE);
    String c = channel("c");
    List<Publication> all = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      all.add(await(h.append(c, "[" + i + ",\"x\"]")));
    }
    String epoch = all.get(0).position().epoch();
    StreamPosition top = new StreamPosition(epoch, 6);
    for (int k = 0; k <= 6; k++) {
      Recovery r = await(h.since(c, new StreamPosition(epoch, k)));
      assertEquals(
          new Recovery.Recovered(all.subList(k, 6), top), r, "since offset " + k + " of 6");
    }
  }

  @Test
  public void countLimitEvicts() throws Exception {
    ChannelHistory h = history(3, LONG_AGE);
    String c = channel("c");
    List<Publication> all = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      all.add(await(h.append(c, Integer.toString(i))));
    }
    String epoch = all.get(0).position().epoch();
    StreamPosition top = new StreamPosition(epoch, 5);
    for (int k = 0; k <= 1; k++) {
      assertEquals(
          new Recovery.Resync(top, Recovery.Reason.EVICTED),
          await(h.since(c, new StreamPosition(epoch, k))),
          "since offset " + k + " with only 3..5 kept");
    }
    assertEquals(
        new Recovery.Recovered(all.subList(2, 5), top),
        await(h.since(c, new StreamPosition(epoch, 2))),
        "since offset 2 with 3..5 kept");
    assertEquals(
        new StreamPosition(epoch, 6), await(h.append(c, "6")).position(), "append after eviction");
  }

  @Test
  public void ageLimitEvicts() throws Exception {
    Duration age = Duration.ofMinutes(10);
    if (advanceClock(Duration.ZERO)) {
      ChannelHistory h = history(100, age);
      String c = channel("c");
      Publication p1 = await(h.append(c, "1"));
      StreamPosition start = StreamPosition.start(p1.position().epoch());
      advanceClock(age.dividedBy(2));
      Publication p2 = await(h.append(c, "2"));
      assertEquals(
          new Recovery.Recovered(List.of(p1, p2), p2.position()),
          await(h.since(c, start)),
          "both younger than the age limit");
      advanceClock(age.dividedBy(2).plusMillis(1));
      assertEquals(
          new Recovery.Resync(p2.position(), Recovery.Reason.EVICTED),
          await(h.since(c, start)),
          "the first older than the age limit");
      assertEquals(
          new Recovery.Recovered(List.of(p2), p2.position()),
          await(h.since(c, p1.position())),
          "since the evicted one: only the second is needed");
      advanceClock(age.plusMillis(1));
      assertResyncedAfterIdle(h, c, p1.position(), p2.position());
      return;
    }
    // Real time: a short age; keep the channel in use (an idle channel may be forgotten, which
    // gives a new epoch) until the first publication is older than the age limit.
    Duration real = realAge();
    ChannelHistory young = history(100, real);
    String d = channel("d");
    Publication first = await(young.append(d, "1"));
    StreamPosition from = StreamPosition.start(first.position().epoch());
    AtomicInteger n = new AtomicInteger(1);
    List<Recovery> seen = new CopyOnWriteArrayList<>();
    poll(
        () -> {
          Publication p = await(young.append(d, Integer.toString(n.incrementAndGet())));
          Recovery r = await(young.since(d, from));
          seen.add(r);
          if (!p.position().epoch().equals(from.epoch())) {
            fail(
                "the channel was forgotten while in use (appended every 100 ms, age "
                    + real
                    + "): "
                    + p);
          }
          if (r instanceof Recovery.Recovered rec) {
            assertEquals(n.get(), rec.publications().size(), "while nothing is older: all kept");
            return false;
          }
          assertEquals(
              new Recovery.Resync(p.position(), Recovery.Reason.EVICTED), r, "after the age");
          return true;
        },
        "publication 1 evicted by the age limit " + real + " (answers: " + seen.size() + ")");
  }

  private static void assertResyncedAfterIdle(
      ChannelHistory h, String c, StreamPosition before, StreamPosition last) {
    Recovery r = await(h.since(c, before));
    // idle for longer than the age: kept-but-evicted or forgotten (a new epoch) are both right
    assertInstanceOf(
        Recovery.Resync.class, r, "since the one before the newest after idling past age");
    Recovery.Resync resync = (Recovery.Resync) r;
    if (resync.reason() == Recovery.Reason.EVICTED) {
      assertEquals(last, resync.top());
    } else {
      assertEquals(Recovery.Reason.EPOCH_CHANGED, resync.reason());
      assertNotEquals(last.epoch(), resync.top().epoch());
    }
  }

  @Test
  public void otherEpochIsEpochChanged() throws Exception {
    ChannelHistory h = history(100, LONG_AGE);
    String c = channel("c");
    Publication p = await(h.append(c, "1"));
    String epoch = p.position().epoch();
    String other = epoch.length() < StreamPosition.MAX_EPOCH_LENGTH ? epoch + "0" : "0";
    for (long k : new long[] {0, 1, 2}) {
      assertEquals(
          new Recovery.Resync(p.position(), Recovery.Reason.EPOCH_CHANGED),
          await(h.since(c, new StreamPosition(other, k))),
          "since offset " + k + " of epoch " + other);
    }
  }

  @Test
  public void aheadOfTheTopIsAhead() throws Exception {
    ChannelHistory h = history(100, LONG_AGE);
    String c = channel("c");
    Publication p = await(h.append(c, "1"));
    await(h.append(c, "2"));
    StreamPosition top = p.position().next();
    assertEquals(
        new Recovery.Resync(top, Recovery.Reason.AHEAD), await(h.since(c, top.next())), "top + 1");
    assertEquals(
        new Recovery.Resync(top, Recovery.Reason.AHEAD),
        await(h.since(c, new StreamPosition(top.epoch(), Long.MAX_VALUE))),
        "offset Long.MAX_VALUE");
    String unused = channel("unused");
    StreamPosition zero = await(h.top(unused));
    assertEquals(
        new Recovery.Resync(zero, Recovery.Reason.AHEAD),
        await(h.since(unused, zero.next())),
        "offset 1 of an unused channel");
  }

  @Test
  public void concurrentAppendsGetConsecutiveOffsets() throws Exception {
    int threads = 8;
    int each = 40;
    ChannelHistory first = history(threads * each, LONG_AGE);
    List<ChannelHistory> instances = new ArrayList<>(List.of(first));
    if (first.shared()) {
      instances.add(history(threads * each, LONG_AGE)); // a second node over the same store
    }
    String c = channel("c");
    ConcurrentLinkedQueue<Publication> got = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      ChannelHistory h = instances.get(t % instances.size());
      int thread = t;
      Thread.ofPlatform()
          .name("contract-append-" + t)
          .start(
              () -> {
                try {
                  go.await();
                  long last = 0;
                  for (int i = 0; i < each; i++) {
                    Publication p = await(h.append(c, "\"" + thread + "/" + i + "\""));
                    if (p.offset() <= last) {
                      throw new AssertionError(
                          "thread " + thread + ": offset " + p.offset() + " after " + last);
                    }
                    last = p.offset();
                    got.add(p);
                  }
                } catch (Throwable e) {
                  errors.add(e);
                } finally {
                  done.countDown();
                }
              });
    }
    go.countDown();
    assertTrue(done.await(WAIT.toSeconds() * 4, TimeUnit.SECONDS), "appending threads finished");
    if (!errors.isEmpty()) {
      AssertionError e = new AssertionError("appends failed: " + errors.peek());
      errors.forEach(e::addSuppressed);
      throw e;
    }
    int total = threads * each;
    Set<String> epochs = new TreeSet<>();
    Set<Long> offsets = new TreeSet<>();
    for (Publication p : got) {
      epochs.add(p.position().epoch());
      offsets.add(p.offset());
    }
    assertEquals(1, epochs.size(), "one epoch: " + epochs);
    assertEquals(total, got.size());
    assertEquals(total, offsets.size(), "no offset given twice");
    assertEquals(1L, ((TreeSet<Long>) offsets).first());
    assertEquals((long) total, ((TreeSet<Long>) offsets).last(), "no gap");
    String epoch = epochs.iterator().next();
    List<Publication> sorted = new ArrayList<>(got);
    sorted.sort(java.util.Comparator.comparingLong(Publication::offset));
    for (ChannelHistory h : instances) {
      assertEquals(
          new Recovery.Recovered(sorted, new StreamPosition(epoch, total)),
          await(h.since(c, StreamPosition.start(epoch))),
          "the whole history, as every instance reads it");
    }
  }

  @Test
  public void badChannelNamesAreRefused() throws Exception {
    ChannelHistory h = history(100, LONG_AGE);
    StreamPosition p = await(h.top(channel("ok")));
    String tooLong = "x".repeat(ChannelHistory.MAX_CHANNEL_LENGTH + 1);
    for (String bad : new String[] {"", "a b", "a*", "tab\there", "nl\n", tooLong}) {
      assertRefused(() -> h.append(bad, "1"), "append to \"" + bad + "\"");
      assertRefused(() -> h.since(bad, p), "since of \"" + bad + "\"");
      assertRefused(() -> h.top(bad), "top of \"" + bad + "\"");
    }
  }

  /** Thrown at once or failing the stage: either way an IllegalArgumentException with a text. */
  private static void assertRefused(Supplier<CompletionStage<?>> call, String what) {
    Throwable refused;
    try {
      CompletableFuture<?> f = call.get().toCompletableFuture();
      try {
        f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        throw new AssertionError(what + " was accepted");
      } catch (ExecutionException e) {
        refused = e.getCause();
      }
    } catch (IllegalArgumentException e) {
      refused = e;
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError(what + ": no answer", e);
    }
    assertInstanceOf(IllegalArgumentException.class, refused, what);
    assertTrue(
        refused.getMessage() != null && refused.getMessage().contains("channel"),
        what + ": the message names the rule: " + refused.getMessage());
  }

  /** Asks {@code check} every 100 ms (on a timer, not a sleep) until true, at most 30 s. */
  private static void poll(Supplier<Boolean> check, String what) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    java.util.concurrent.Executor later =
        CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS);
    Runnable[] step = new Runnable[1];
    step[0] =
        () -> {
          try {
            if (check.get()) {
              done.complete(null);
            } else if (System.nanoTime() > deadline) {
              done.completeExceptionally(new AssertionError("not within " + WAIT + ": " + what));
            } else {
              later.execute(step[0]);
            }
          } catch (Throwable e) {
            done.completeExceptionally(e);
          }
        };
    later.execute(step[0]);
    try {
      done.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof AssertionError a) {
        throw a;
      }
      throw new AssertionError(what, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted: " + what, e);
    }
  }
}
