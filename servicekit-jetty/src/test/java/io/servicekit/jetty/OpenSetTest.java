package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * {@link OpenSet}, the tracking {@link WsServe}, {@link SseServe} and {@link StreamableServe}
 * share: members leave when they end, {@link OpenSet#endAll} ends them and completes once they have
 * left, {@code alsoLater} reaches those that open afterwards until {@link OpenSet#reset}.
 */
class OpenSetTest {
  /** A stand-in for a connection: ending it is recorded, and completes its end stage. */
  private static final class Item {
    final String name;
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    final List<String> endedWith = new CopyOnWriteArrayList<>();
    final long queued;

    Item(String name, long queued) {
      this.name = name;
      this.queued = queued;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private final List<String> log = new CopyOnWriteArrayList<>();
  private final OpenSet<Item, String> set =
      new OpenSet<>(
          (item, how) -> {
            log.add(item.name + ":" + how);
            item.endedWith.add(how);
            item.ended.complete(null);
          });

  @Test
  void aMemberLeavesWhenItEndsAndTheReturnedStageCompletesAfterThat() {
    Item a = new Item("a", 1);
    CompletionStage<Void> gone = set.add(a, "", a.ended);
    List<Integer> sizeWhenGone = new CopyOnWriteArrayList<>();
    gone.thenRun(() -> sizeWhenGone.add(set.size()));
    assertThat(set.size()).isEqualTo(1);
    assertThat(set.snapshot()).containsExactly(a);

    a.ended.complete(null);

    assertThat(set.size()).isZero();
    assertThat(gone.toCompletableFuture()).isDone();
    assertThat(sizeWhenGone).containsExactly(0);
  }

  @Test
  void aMemberAddedAfterItEndedLeavesAtOnce() {
    Item a = new Item("a", 1);
    a.ended.complete(null);
    CompletionStage<Void> gone = set.add(a, "", a.ended);
    assertThat(set.size()).isZero();
    assertThat(gone.toCompletableFuture()).isDone();
  }

  @Test
  void endAllEndsEveryMemberAndCompletesWhenAllHaveLeft() {
    Item a = new Item("a", 1);
    Item b = new Item("b", 2);
    set.add(a, "", a.ended);
    set.add(b, "", b.ended);

    CompletableFuture<Void> all = set.endAll("bye", false);

    assertThat(all).isDone();
    assertThat(log).containsExactlyInAnyOrder("a:bye", "b:bye");
    assertThat(set.size()).isZero();
  }

  @Test
  void endAllWaitsForMembersThatEndLater() {
    Item slow = new Item("slow", 1);
    OpenSet<Item, String> lazy = new OpenSet<>((item, how) -> item.endedWith.add(how));
    lazy.add(slow, "", slow.ended);

    CompletableFuture<Void> all = lazy.endAll("bye", false);

    assertThat(slow.endedWith).containsExactly("bye");
    assertThat(all).isNotDone();
    slow.ended.complete(null);
    assertThat(all).isDone();
  }

  @Test
  void alsoLaterEndsThoseThatOpenAfterwardsUntilReset() {
    set.endAll("shutdown", true);
    Item late = new Item("late", 1);
    set.add(late, "", late.ended);
    set.endIfEnding(late);
    assertThat(late.endedWith).containsExactly("shutdown");

    set.reset();
    Item next = new Item("next", 1);
    set.add(next, "", next.ended);
    set.endIfEnding(next);
    assertThat(next.endedWith).isEmpty();
    assertThat(set.size()).isEqualTo(1);
  }

  @Test
  void withoutAlsoLaterThoseThatOpenAfterwardsStayOpen() {
    set.endAll("bye", false);
    Item later = new Item("later", 1);
    set.add(later, "", later.ended);
    set.endIfEnding(later);
    assertThat(later.endedWith).isEmpty();
  }

  @Test
  void removeForgetsAMemberThatNeverOpensAndReleasesAnEndAllWaitingForIt() {
    Item never = new Item("never", 1);
    OpenSet<Item, String> lazy = new OpenSet<>((item, how) -> item.endedWith.add(how));
    CompletionStage<Void> gone = lazy.add(never, "", never.ended);
    CompletableFuture<Void> all = lazy.endAll("bye", false);
    assertThat(all).isNotDone();

    lazy.remove(never);

    assertThat(lazy.size()).isZero();
    assertThat(gone.toCompletableFuture()).isDone();
    assertThat(all).isDone();
    lazy.remove(never); // idempotent
  }

  @Test
  void sumCountsOnlyTheMembersOfOneTag() {
    Item a = new Item("a", 10);
    Item b = new Item("b", 20);
    Item c = new Item("c", 300);
    set.add(a, "/rooms/{room}", a.ended);
    set.add(b, "/rooms/{room}", b.ended);
    set.add(c, "/chat", c.ended);

    assertThat(set.sum("/rooms/{room}", item -> item.queued)).isEqualTo(30);
    assertThat(set.sum("/chat", item -> item.queued)).isEqualTo(300);
    assertThat(set.sum("/other", item -> item.queued)).isZero();

    b.ended.complete(null);
    assertThat(set.sum("/rooms/{room}", item -> item.queued)).isEqualTo(10);
  }

  @Test
  void nullsAreRefusedByName() {
    Item a = new Item("a", 1);
    assertThatThrownBy(() -> set.add(a, null, a.ended))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("tag");
    assertThatThrownBy(() -> set.endAll(null, true))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("how");
    assertThatThrownBy(() -> new OpenSet<Item, String>(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("end");
  }
}
