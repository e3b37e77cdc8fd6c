package io.servicekit.client;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a virtual thread started on demand. A task that
 * throws is logged and does not stop the ones after it.
 */
final class SerialRunner {
  private static final Logger LOG = LoggerFactory.getLogger(SerialRunner.class);

  private final String name;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean running = new AtomicBoolean();

  SerialRunner(String name) {
    this.name = name;
  }

  void execute(Runnable task) {
    tasks.add(task);
    if (running.compareAndSet(false, true)) {
      Thread.ofVirtual().name(name).start(this::drain);
    }
  }

  private void drain() {
    while (true) {
      Runnable task;
      while ((task = tasks.poll()) != null) {
        try {
          task.run();
        } catch (Throwable t) {
          LOG.warn("{}: listener callback threw", name, t);
        }
      }
      running.set(false);
      if (tasks.isEmpty() || !running.compareAndSet(false, true)) {
        return;
      }
    }
  }
}
