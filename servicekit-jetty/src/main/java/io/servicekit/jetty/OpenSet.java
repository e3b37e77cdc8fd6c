package io.servicekit.jetty;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * The connections or streams of one endpoint that are open now ({@code T}), for its graceful
 * shutdown and its metrics. Each is added with the stage that completes when it ends, and leaves
 * the set then; {@link #endAll} ends every one the endpoint's way ({@code end}, given an {@code E}
 * such as a close status or a final event) and, asked to, also each that opens from then on, as it
 * opens ({@link #endIfEnding}), until {@link #reset}.
 */
final class OpenSet<T, E> {
  private record Entry(String tag, CompletableFuture<Void> gone) {}

  private final Map<T, Entry> open = new ConcurrentHashMap<>();
  private final BiConsumer<? super T, ? super E> end;
  private volatile @Nullable E ending; // set by endAll(…, alsoLater): those opening now end at once

  /** A set whose members {@code end} ends (gracefully; it may find one already ending). */
  OpenSet(BiConsumer<? super T, ? super E> end) {
    this.end = Objects.requireNonNull(end, "end");
  }

  /**
   * Adds {@code item}, open until {@code ended} completes, with a {@code tag} for {@link #sum} (a
   * route pattern, or "" where none is needed). Returns a stage that completes once it has left the
   * set again, as do the stages of {@link #endAll}.
   */
  CompletionStage<Void> add(T item, String tag, CompletionStage<?> ended) {
    CompletableFuture<Void> gone = new CompletableFuture<>();
    open.put(item, new Entry(Objects.requireNonNull(tag, "tag"), gone));
    ended.whenComplete(
        (r, x) -> {
          open.remove(item);
          gone.complete(null);
        });
    return gone;
  }

  /** Removes {@code item} (or nothing) at once: it will never open, nor end. */
  void remove(T item) {
    Entry entry = open.remove(item);
    if (entry != null) {
      entry.gone().complete(null);
    }
  }

  /** How many are open now. */
  int size() {
    return open.size();
  }

  /** Those open now (a snapshot). */
  List<T> snapshot() {
    return List.copyOf(open.keySet());
  }

  /** The sum of {@code value} over those open now that were added with {@code tag}. */
  long sum(String tag, ToLongFunction<? super T> value) {
    long sum = 0;
    for (Map.Entry<T, Entry> e : open.entrySet()) {
      if (e.getValue().tag().equals(tag)) {
        sum += value.applyAsLong(e.getKey());
      }
    }
    return sum;
  }

  /**
   * Ends every one open now with {@code how}; with {@code alsoLater}, also every one that {@link
   * #endIfEnding} is called for from now on. The stage completes when all those open now have ended
   * and left the set.
   */
  CompletableFuture<Void> endAll(E how, boolean alsoLater) {
    Objects.requireNonNull(how, "how");
    if (alsoLater) {
      ending = how;
    }
    List<CompletableFuture<?>> ends = new ArrayList<>();
    for (Map.Entry<T, Entry> e : List.copyOf(open.entrySet())) {
      end.accept(e.getKey(), how);
      ends.add(e.getValue().gone());
    }
    return CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new));
  }

  /** Called once {@code item} has opened: ends it if {@link #endAll} asked for it. */
  void endIfEnding(T item) {
    E how = ending;
    if (how != null) {
      end.accept(item, how);
    }
  }

  /** Forgets an {@link #endAll} with {@code alsoLater} (the endpoint starts again). */
  void reset() {
    ending = null;
  }
}
