package io.servicekit.channel;

import java.util.Objects;

/**
 * A user present in a channel, cluster-wide.
 *
 * @param user the identity the application gave the user's connections
 * @param connections how many of the user's connections are in the channel, summed over every node
 *     (at least 1)
 */
public record PresenceMember(String user, int connections) {
  /**
   * @throws IllegalArgumentException if {@code connections} is less than 1
   */
  public PresenceMember {
    Objects.requireNonNull(user, "user");
    if (connections < 1) {
      throw new IllegalArgumentException(
          "a member has at least 1 connection, was " + connections + " for " + user);
    }
  }
}
