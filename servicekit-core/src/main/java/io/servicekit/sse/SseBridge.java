package io.servicekit.sse;

import io.servicekit.internal.driver.SseAccess;
import io.servicekit.internal.driver.SseMember;
import org.jspecify.annotations.Nullable;

/** This package's side of {@link SseAccess}: what the SSE driver (in another package) uses. */
final class SseBridge implements SseAccess.Provider {
  @Override
  public byte[] wire(SseEvent event) {
    return event.wire();
  }

  @Override
  public void join(
      ResumableStreams streams,
      SseMember<?> member,
      String streamId,
      @Nullable String lastEventId) {
    streams.join(member, streamId, lastEventId);
  }

  @Override
  public void leave(ResumableStreams streams, SseMember<?> member, String streamId) {
    streams.leave(member, streamId);
  }
}
