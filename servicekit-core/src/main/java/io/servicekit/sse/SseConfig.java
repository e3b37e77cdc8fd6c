package io.servicekit.sse;

import io.servicekit.Scheduler;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.internal.Check;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Settings of a Server-Sent Events endpoint, immutable and validated when built. {@link
 * #defaults()} is the Go library's {@code DefaultSSEConnConfig()} plus the bounds it lacks:
 *
 * <table>
 * <caption>Defaults</caption>
 * <tr><th>setting</th><th>default</th></tr>
 * <tr><td>{@link #keepalivePeriod()}</td><td>30 s: a {@code ": keepalive"} comment every period; {@link Duration#ZERO} disables</td></tr>
 * <tr><td>{@link #retry()}</td><td>none: no {@code retry:} hint is sent when a stream opens</td></tr>
 * <tr><td>{@link #maxQueuedBytes()}</td><td>16 MiB of unwritten events per stream</td></tr>
 * <tr><td>{@link #slowConsumerPolicy()}</td><td>{@link SlowConsumerPolicy#CLOSE}: the stream is dropped</td></tr>
 * <tr><td>{@link #writeTimeout()}</td><td>30 s for one write to complete, else the stream is dropped</td></tr>
 * <tr><td>{@link #maxLastEventIdLength()}</td><td>1024 characters; a longer {@code Last-Event-ID} gets 400</td></tr>
 * <tr><td>{@link #resumption()}</td><td>off</td></tr>
 * </table>
 */
public final class SseConfig {
  private static final SseConfig DEFAULTS = builder().build();

  private final Duration keepalivePeriod;
  private final @Nullable Duration retry;
  private final long maxQueuedBytes;
  private final SlowConsumerPolicy slowConsumerPolicy;
  private final Duration writeTimeout;
  private final int maxLastEventIdLength;
  private final @Nullable ResumableStreams resumption;
  private final Scheduler scheduler;

  private SseConfig(Builder b) {
    this.keepalivePeriod = Check.notNegative("keepalivePeriod", b.keepalivePeriod);
    this.retry = b.retry == null ? null : Check.positive("retry", b.retry);
    this.maxQueuedBytes = Check.positive("maxQueuedBytes", b.maxQueuedBytes);
    this.slowConsumerPolicy = Objects.requireNonNull(b.slowConsumerPolicy, "slowConsumerPolicy");
    this.writeTimeout = Check.positive("writeTimeout", b.writeTimeout);
    this.maxLastEventIdLength = Check.positive("maxLastEventIdLength", b.maxLastEventIdLength);
    this.resumption = b.resumption;
    this.scheduler = Objects.requireNonNull(b.scheduler, "scheduler");
  }

  /** The defaults described in the class documentation. */
  public static SseConfig defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.keepalivePeriod = keepalivePeriod;
    b.retry = retry;
    b.maxQueuedBytes = maxQueuedBytes;
    b.slowConsumerPolicy = slowConsumerPolicy;
    b.writeTimeout = writeTimeout;
    b.maxLastEventIdLength = maxLastEventIdLength;
    b.resumption = resumption;
    b.scheduler = scheduler;
    return b;
  }

  /** Interval of keepalive comments; zero when disabled. */
  public Duration keepalivePeriod() {
    return keepalivePeriod;
  }

  /** The {@code retry:} hint sent first on every stream, if set. */
  public Optional<Duration> retry() {
    return Optional.ofNullable(retry);
  }

  public long maxQueuedBytes() {
    return maxQueuedBytes;
  }

  public SlowConsumerPolicy slowConsumerPolicy() {
    return slowConsumerPolicy;
  }

  public Duration writeTimeout() {
    return writeTimeout;
  }

  public int maxLastEventIdLength() {
    return maxLastEventIdLength;
  }

  /** The resumable streams this endpoint publishes to and replays from, if resumption is on. */
  public Optional<ResumableStreams> resumption() {
    return Optional.ofNullable(resumption);
  }

  public Scheduler scheduler() {
    return scheduler;
  }

  /** Builds an {@link SseConfig}; unset values take the defaults. */
  public static final class Builder {
    private Duration keepalivePeriod = Duration.ofSeconds(30);
    private @Nullable Duration retry;
    private long maxQueuedBytes = 16L << 20;
    private SlowConsumerPolicy slowConsumerPolicy = SlowConsumerPolicy.CLOSE;
    private Duration writeTimeout = Duration.ofSeconds(30);
    private int maxLastEventIdLength = 1024;
    private @Nullable ResumableStreams resumption;
    private Scheduler scheduler = Scheduler.system();

    private Builder() {}

    /** Interval of {@code ": keepalive"} comments; {@link Duration#ZERO} disables them. */
    public Builder keepalivePeriod(Duration v) {
      keepalivePeriod = v;
      return this;
    }

    /**
     * A {@code retry:} hint sent first on every stream: how long clients wait before reconnecting
     * (sent in whole milliseconds). Null for none (browsers then wait about 3 s).
     */
    public Builder retry(@Nullable Duration v) {
      retry = v;
      return this;
    }

    /** Budget of unwritten bytes per stream (including a replay and the write in flight). */
    public Builder maxQueuedBytes(long v) {
      maxQueuedBytes = v;
      return this;
    }

    public Builder slowConsumerPolicy(SlowConsumerPolicy v) {
      slowConsumerPolicy = v;
      return this;
    }

    /** Longest time one write may take before the client is considered stalled and dropped. */
    public Builder writeTimeout(Duration v) {
      writeTimeout = v;
      return this;
    }

    /** Longest accepted {@code Last-Event-ID} header; a longer one is answered with 400. */
    public Builder maxLastEventIdLength(int v) {
      maxLastEventIdLength = v;
      return this;
    }

    /**
     * Turns on resumption: events sent through a session are published to its stream (id assigned,
     * stored) and a reconnect with {@code Last-Event-ID} replays what followed; see {@link
     * ResumableStreams}. Null turns it off.
     */
    public Builder resumable(@Nullable ResumableStreams v) {
      resumption = v;
      return this;
    }

    /** The time source for keepalives and the write timeout; tests pass a fake. */
    public Builder scheduler(Scheduler v) {
      scheduler = v;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming the first invalid setting and its value
     */
    public SseConfig build() {
      return new SseConfig(this);
    }
  }
}
