package io.servicekit.testkit;

import io.servicekit.internal.SerialExecutor;
import java.util.concurrent.Executor;

/**
 * Virtual time with real threads: the {@link VirtualScheduler} clock and timers, but {@link
 * #execute} and {@link #serial} start virtual threads as {@link io.servicekit.Scheduler#system()}
 * does. For tests over real sockets (the second tier), where transport threads deliver messages and
 * connection callbacks must run without the test's help; deterministic tests use {@link
 * VirtualScheduler}. Timers run on the thread that calls {@link #advanceBy}.
 *
 * <pre>{@code
 * FakeScheduler time = new FakeScheduler();
 * WsConfig config = WsConfig.builder().scheduler(time).build();
 * ...
 * time.advanceBy(Duration.ofSeconds(29)); // no ping yet
 * time.advanceBy(Duration.ofSeconds(1));  // the first ping is queued now
 * }</pre>
 *
 * <p>A client's connect returns once it has the 101 response, which may be before the server has
 * opened the connection and scheduled its heartbeat on this clock: make one round trip (send a
 * message, await the answer) before advancing time, or the first period starts late.
 *
 * <p>Writes to a real socket still complete in real time, and the write watchdog measures them on
 * this clock: a jump past {@code WsConfig.writeTimeout()} (30 s by default) while a frame is being
 * written — one queued by the jump itself, or just before it — makes that write look stuck and
 * aborts the connection. Tests that jump that far set a longer write timeout, e.g. {@code
 * .writeTimeout(Duration.ofDays(1))}, unless the write timeout is what they test.
 */
public final class FakeScheduler extends VirtualScheduler {
  /** A clock at time zero with no timers. */
  public FakeScheduler() {}

  /** Starts a virtual thread named {@code name} at once, as the system scheduler does. */
  @Override
  public void execute(String name, Runnable task) {
    Thread.ofVirtual().name(name).start(task);
  }

  /** A serial executor on real virtual threads, as the system scheduler's. */
  @Override
  public Executor serial(String name) {
    return new SerialExecutor(this, name);
  }
}
