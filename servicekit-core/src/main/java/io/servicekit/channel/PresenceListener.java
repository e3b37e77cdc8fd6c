package io.servicekit.channel;

/**
 * Receives the join and leave events of a {@link Presence}, for every channel. Called on the thread
 * that caused the change (a caller of {@link Presence#join}, a broker thread, a scheduler thread),
 * one event at a time in the order the changes took effect; must not block. A listener never gets a
 * leave for a user without a join for that user before it.
 */
public interface PresenceListener {
  /**
   * The first connection of {@code member} (cluster-wide) entered {@code channel}.
   *
   * @param channel the channel
   * @param member the user, with its connection count at that moment
   */
  void onJoin(String channel, PresenceMember member);

  /**
   * The last connection of {@code user} left {@code channel}, or the node of its last connections
   * was declared dead.
   *
   * @param channel the channel
   * @param user the user
   */
  void onLeave(String channel, String user);
}
