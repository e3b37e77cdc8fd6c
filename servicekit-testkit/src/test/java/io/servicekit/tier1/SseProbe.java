package io.servicekit.tier1;

import io.servicekit.JsonCodec;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseSession;
import io.servicekit.sse.StreamEnd;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The SSE probe listener of the tier-1 tests: JSON, records its close statuses (and the sessions
 * they came with) and runs a test's onOpen.
 */
final class SseProbe implements SseListener<Object> {
  /** What {@link #onOpen} does. */
  interface Start {
    void run(SseSession<Object> session) throws Exception;
  }

  final List<StreamEnd> closes = new CopyOnWriteArrayList<>();
  final List<SseSession<Object>> closedSessions = new CopyOnWriteArrayList<>();
  private final Start start;

  SseProbe() {
    this(s -> {});
  }

  SseProbe(Start start) {
    this.start = start;
  }

  @Override
  public JsonCodec codec() {
    return JsonCodec.INSTANCE;
  }

  @Override
  public String name() {
    return "Probe";
  }

  @Override
  public void onOpen(SseSession<Object> session) throws Exception {
    start.run(session);
  }

  @Override
  public void onClose(SseSession<Object> session, StreamEnd status) {
    closedSessions.add(session);
    closes.add(status);
  }
}
