package io.servicekit.jetty.middleware;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.event.LoggingEvent;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.spi.LoggingEventAware;

/** An SLF4J logger that records structured events (message and key-values) for assertions. */
final class CapturingLogger extends LegacyAbstractLogger implements LoggingEventAware {
  /** One recorded event. */
  record Event(Level level, String message, Map<String, Object> kv, Throwable cause) {}

  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

  CapturingLogger() {
    this.name = "capture";
  }

  Event next() throws InterruptedException {
    Event e = events.poll(10, TimeUnit.SECONDS);
    if (e == null) {
      throw new AssertionError("no log event within 10 s");
    }
    return e;
  }

  List<Event> drained() {
    List<Event> out = new java.util.ArrayList<>();
    events.drainTo(out);
    return out;
  }

  @Override
  public void log(LoggingEvent event) {
    Map<String, Object> kv = new LinkedHashMap<>();
    if (event.getKeyValuePairs() != null) {
      event.getKeyValuePairs().forEach(p -> kv.put(p.key, p.value));
    }
    events.add(new Event(event.getLevel(), event.getMessage(), kv, event.getThrowable()));
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(
      Level level, Marker marker, String msg, Object[] args, Throwable t) {
    events.add(new Event(level, msg, Map.of(), t));
  }

  @Override
  public boolean isTraceEnabled() {
    return true;
  }

  @Override
  public boolean isDebugEnabled() {
    return true;
  }

  @Override
  public boolean isInfoEnabled() {
    return true;
  }

  @Override
  public boolean isWarnEnabled() {
    return true;
  }

  @Override
  public boolean isErrorEnabled() {
    return true;
  }
}
