package io.servicekit.internal.driver;

import io.servicekit.sse.ResumableStreams;
import io.servicekit.sse.SseEvent;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The package-private members of {@code io.servicekit.sse} the SSE driver uses: an event's framed
 * bytes without a copy, and joining and leaving a resumable stream. That package registers its
 * {@link Provider} when {@link SseEvent} initialises. Internal: not part of the API.
 */
public final class SseAccess {
  /** What {@code io.servicekit.sse} provides. */
  public interface Provider {
    /** The framed bytes of {@code event}, not copied: callers must not change them. */
    byte[] wire(SseEvent event);

    /** Adds {@code member} to the live members of {@code streamId}, replaying what it missed. */
    void join(
        ResumableStreams streams,
        SseMember<?> member,
        String streamId,
        @Nullable String lastEventId);

    /** Removes {@code member} from the live members of {@code streamId}. */
    void leave(ResumableStreams streams, SseMember<?> member, String streamId);
  }

  private static volatile @Nullable Provider provider;

  private SseAccess() {}

  /**
   * Registers the provider; called once, by {@code io.servicekit.sse}.
   *
   * @throws IllegalStateException if one is registered already
   */
  public static synchronized void register(Provider p) {
    Objects.requireNonNull(p, "provider");
    if (provider != null) {
      throw new IllegalStateException("SseAccess provider already registered");
    }
    provider = p;
  }

  static Provider provider() {
    Provider p = provider;
    if (p != null) {
      return p;
    }
    try {
      // SseEvent's initialiser registers the provider.
      Class.forName(SseEvent.class.getName(), true, SseEvent.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("cannot initialise " + SseEvent.class.getName(), e);
    }
    p = provider;
    if (p == null) {
      throw new IllegalStateException("io.servicekit.sse registered no SseAccess provider");
    }
    return p;
  }
}
