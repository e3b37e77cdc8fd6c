package io.servicekit.broker;

import java.time.Duration;
import java.util.Objects;

/**
 * This node may have missed messages from other nodes: its subscription to the broker was lost and
 * is back. Reported once per outage, after subscriptions are active again, so a subscriber that
 * resyncs on it gets fresh data.
 *
 * @param reason what happened, for people (e.g. {@code "broker connection lost for 2345 ms"})
 * @param outage how long messages could have been missed
 */
public record BrokerGap(String reason, Duration outage) {
  public BrokerGap {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(outage, "outage");
  }
}
