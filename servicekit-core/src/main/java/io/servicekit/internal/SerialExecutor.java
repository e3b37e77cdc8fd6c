package io.servicekit.internal;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one connection's callbacks one at a time, in submission order, on virtual threads. No thread
 * is kept while the connection is idle: a virtual thread is started for a burst of tasks and ends
 * when the queue is empty.
 *
 * <p>Internal: shared by the WebSocket and SSE connection drivers; not part of the API.
 */
public final class SerialExecutor implements Executor {
  private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);
  private static final ThreadFactory THREADS =
      Thread.ofVirtual().name("servicekit-conn-", 0).factory();

  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>(2);
  private boolean running; // guarded by lock

  /** Creates an idle executor. */
  public SerialExecutor() {}

  @Override
  public void execute(Runnable task) {
    lock.lock();
    try {
      tasks.addLast(task);
      if (running) {
        return;
      }
      running = true;
    } finally {
      lock.unlock();
    }
    THREADS.newThread(this::runAll).start();
  }

  /**
   * Like {@link #execute}, but when nothing is running or queued and the caller is a virtual
   * thread, runs {@code task} (and whatever is queued meanwhile) in the caller, saving a thread
   * start and a hand-off. For transport callbacks that may block: a platform thread always hands
   * off.
   */
  public void executeInline(Runnable task) {
    if (!Thread.currentThread().isVirtual()) {
      execute(task);
      return;
    }
    lock.lock();
    try {
      if (running) {
        tasks.addLast(task);
        return;
      }
      running = true;
    } finally {
      lock.unlock();
    }
    runOne(task);
    runAll();
  }

  private void runAll() {
    while (true) {
      Runnable task;
      lock.lock();
      try {
        task = tasks.pollFirst();
        if (task == null) {
          running = false;
          return;
        }
      } finally {
        lock.unlock();
      }
      runOne(task);
    }
  }

  private static void runOne(Runnable task) {
    try {
      task.run();
    } catch (Throwable t) {
      LOG.error("connection callback failed", t);
    }
  }
}
