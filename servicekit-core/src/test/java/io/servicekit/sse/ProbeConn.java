package io.servicekit.sse;

import io.servicekit.JsonCodec;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A JSON SSE listener that records its close statuses and runs a test's onOpen. */
class ProbeConn implements SseListener<Object> {
  interface Start {
    void run(SseSession<Object> session) throws Exception;
  }

  final List<StreamEnd> closes = new CopyOnWriteArrayList<>();
  private final Start start;

  ProbeConn() {
    this(s -> {});
  }

  ProbeConn(Start start) {
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
    closes.add(status);
  }
}
