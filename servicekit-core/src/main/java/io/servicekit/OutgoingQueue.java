package io.servicekit;

import io.servicekit.internal.WriteQueue;
import io.servicekit.spi.Transport;

/**
 * One WebSocket connection's outgoing frames: the generic {@link WriteQueue} (byte budget, single
 * writer, at most one frame in flight) with frames as items and the close frame as the last item.
 */
final class OutgoingQueue {
  /** Receives write failures and the start of each write (for the write watchdog). */
  interface Listener extends WriteQueue.Listener {}

  private final WriteQueue<Object> queue; // Frame or CloseStatus

  OutgoingQueue(Transport transport, Scheduler clock, long maxBytes, Listener listener) {
    this.queue =
        new WriteQueue<>(
            (item, callback) -> {
              switch (item) {
                case Frame.Text t -> transport.sendText(t.text(), callback);
                case Frame.Binary b -> transport.sendBinary(b.bytes(), callback);
                case CloseStatus s -> transport.sendClose(s.code(), s.reason(), callback);
                default -> throw new IllegalStateException("unexpected queue item " + item);
              }
            },
            clock,
            maxBytes,
            listener,
            false);
  }

  WriteQueue.Offer offer(Frame frame, SlowConsumerPolicy policy) {
    return queue.offer(frame, frame.size(), policy);
  }

  /** Queues a close frame after everything already queued; later offers are refused. */
  void offerClose(CloseStatus status) {
    queue.offerLast(status);
  }

  /** Discards everything queued and refuses further frames. */
  void clear() {
    queue.clear();
  }

  long queuedBytes() {
    return queue.queuedBytes();
  }

  long dropped() {
    return queue.dropped();
  }

  /** The start time of the write in flight, or -1 when none is. */
  long inFlightSince() {
    return queue.inFlightSince();
  }
}
