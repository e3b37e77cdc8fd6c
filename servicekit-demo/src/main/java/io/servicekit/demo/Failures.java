package io.servicekit.demo;

import io.servicekit.broker.BrokerUnavailableException;
import java.util.concurrent.CompletionException;

/** What the demo tells a client whose message the cluster did not take. */
final class Failures {
  private Failures() {}

  /** The reason, naming whether this process's subscribers got the message. */
  static String message(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof BrokerUnavailableException b) {
      return (b.deliveredLocally()
              ? "delivered to this process's subscribers only; "
              : "delivered to nobody; ")
          + "the broker is unavailable, try again later";
    }
    return cause.toString();
  }
}
