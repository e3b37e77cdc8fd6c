package io.servicekit.demo.game;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The messages waiting for one gRPC response stream: bounded (the oldest are dropped when a slow
 * client falls {@code capacity} behind), written only while gRPC reports the stream ready, so the
 * service never blocks and never buffers without bound. {@link #offer} may be called from any
 * thread and never blocks on the room.
 */
final class Outbox<T> {
  private final ServerCallStreamObserver<T> stream;
  private final int capacity;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<T> queue = new ArrayDeque<>(); // lock
  private boolean done; // lock
  private long dropped; // lock

  Outbox(ServerCallStreamObserver<T> stream, int capacity) {
    this.stream = stream;
    this.capacity = capacity;
    stream.setOnReadyHandler(this::drain);
  }

  void offer(T message) {
    lock.lock();
    try {
      if (done) {
        return;
      }
      if (queue.size() == capacity) {
        queue.pollFirst();
        dropped++;
      }
      queue.addLast(message);
    } finally {
      lock.unlock();
    }
    drain();
  }

  /** Writes what is queued while the stream is ready. */
  void drain() {
    lock.lock();
    try {
      while (!done && !stream.isCancelled() && stream.isReady() && !queue.isEmpty()) {
        stream.onNext(queue.pollFirst());
      }
    } finally {
      lock.unlock();
    }
  }

  /** Ends the stream normally after what is queued (best effort: what is not ready is dropped). */
  void complete() {
    lock.lock();
    try {
      if (done) {
        return;
      }
      while (!stream.isCancelled() && !queue.isEmpty()) {
        stream.onNext(queue.pollFirst());
      }
      done = true;
      if (!stream.isCancelled()) {
        stream.onCompleted();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Stops accepting messages (the call was cancelled). */
  void close() {
    lock.lock();
    try {
      done = true;
      queue.clear();
    } finally {
      lock.unlock();
    }
  }

  long dropped() {
    lock.lock();
    try {
      return dropped;
    } finally {
      lock.unlock();
    }
  }
}
