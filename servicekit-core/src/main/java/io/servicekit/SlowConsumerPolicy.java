package io.servicekit;

/**
 * What a connection does when a send would push its outgoing queue past {@link
 * WsConfig#maxQueuedBytes()}: the peer is not reading as fast as the server writes.
 */
public enum SlowConsumerPolicy {
  /**
   * Close the connection with 1008 (policy violation) and a reason naming the budget; the message
   * and everything still queued are discarded. The default: a client that cannot keep up is told
   * so, and memory stays bounded.
   */
  CLOSE,
  /**
   * Discard the oldest queued messages (never the one being written) to make room. A message that
   * would not fit even then is discarded instead ({@code send} returns {@code false}) and nothing
   * queued is dropped for it.
   */
  DROP_OLDEST,
  /** Discard the new message; {@code send} returns {@code false}. */
  DROP_NEWEST
}
