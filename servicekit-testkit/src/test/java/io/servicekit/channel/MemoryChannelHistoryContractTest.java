package io.servicekit.channel;

import io.servicekit.testkit.ChannelHistoryContract;
import io.servicekit.testkit.VirtualScheduler;
import java.time.Duration;

/** MemoryChannelHistory keeps every rule of the ChannelHistory contract, on a virtual clock. */
class MemoryChannelHistoryContractTest extends ChannelHistoryContract {
  private final VirtualScheduler clock = new VirtualScheduler();

  @Override
  protected ChannelHistory newHistory(int maxPublications, Duration maxAge) {
    return MemoryChannelHistory.builder()
        .maxPublications(maxPublications)
        .maxAge(maxAge)
        .scheduler(clock)
        .build();
  }

  @Override
  protected boolean advanceClock(Duration by) {
    clock.advanceBy(by);
    return true;
  }
}
