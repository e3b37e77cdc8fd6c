package io.servicekit.sse;

import io.servicekit.JsonCodec;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A JSON SSE connection that records its close statuses and runs a test's onStart. */
class ProbeConn extends BaseSseConn<Object> {
  interface Start {
    void run(SseSession session) throws Exception;
  }

  final List<StreamEnd> closes = new CopyOnWriteArrayList<>();
  private final Start start;

  ProbeConn() {
    this(s -> {});
  }

  ProbeConn(Start start) {
    super(JsonCodec.INSTANCE, "Probe");
    this.start = start;
  }

  @Override
  public void onStart(SseSession session) throws Exception {
    start.run(session);
  }

  @Override
  public void onClose(StreamEnd status) {
    closes.add(status);
  }
}
