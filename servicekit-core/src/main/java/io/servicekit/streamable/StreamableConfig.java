package io.servicekit.streamable;

import io.servicekit.Scheduler;
import io.servicekit.internal.Check;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Settings of a Streamable HTTP endpoint, immutable and validated when built.
 *
 * <table>
 * <caption>Defaults</caption>
 * <tr><th>setting</th><th>default</th></tr>
 * <tr><td>{@link #maxBodyBytes()}</td><td>4 MiB; a bigger request body is answered 413</td></tr>
 * <tr><td>{@link #queueCapacity()}</td><td>64 unwritten events per stream before {@code send} blocks</td></tr>
 * <tr><td>{@link #maxQueuedBytes()}</td><td>1 MiB of unwritten events per stream before {@code send} blocks</td></tr>
 * <tr><td>{@link #keepalivePeriod()}</td><td>15 s: a {@code ": keepalive"} comment every period; {@link Duration#ZERO} disables</td></tr>
 * <tr><td>{@link #writeTimeout()}</td><td>30 s for one write to complete, else the client is considered gone</td></tr>
 * <tr><td>{@link #retry()}</td><td>none: no {@code retry:} hint opens a stream</td></tr>
 * <tr><td>{@link #scheduler()}</td><td>{@link Scheduler#system()}</td></tr>
 * </table>
 */
public final class StreamableConfig {
  private static final StreamableConfig DEFAULTS = builder().build();

  private final long maxBodyBytes;
  private final int queueCapacity;
  private final long maxQueuedBytes;
  private final Duration keepalivePeriod;
  private final Duration writeTimeout;
  private final @Nullable Duration retry;
  private final Scheduler scheduler;

  private StreamableConfig(Builder b) {
    this.maxBodyBytes = Check.inRange("maxBodyBytes", 0, Integer.MAX_VALUE - 8, b.maxBodyBytes);
    this.queueCapacity = Check.positive("queueCapacity", b.queueCapacity);
    this.maxQueuedBytes = Check.positive("maxQueuedBytes", b.maxQueuedBytes);
    this.keepalivePeriod = Check.notNegative("keepalivePeriod", b.keepalivePeriod);
    this.writeTimeout = Check.positive("writeTimeout", b.writeTimeout);
    this.retry = b.retry == null ? null : Check.atLeastOneMilli("retry", b.retry);
    this.scheduler = Objects.requireNonNull(b.scheduler, "scheduler");
  }

  /** The defaults described in the class documentation. */
  public static StreamableConfig defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.maxBodyBytes = maxBodyBytes;
    b.queueCapacity = queueCapacity;
    b.maxQueuedBytes = maxQueuedBytes;
    b.keepalivePeriod = keepalivePeriod;
    b.writeTimeout = writeTimeout;
    b.retry = retry;
    b.scheduler = scheduler;
    return b;
  }

  /** Largest accepted request body in bytes; a bigger one is answered 413. */
  public long maxBodyBytes() {
    return maxBodyBytes;
  }

  /** Unwritten events per stream before {@link StreamSession#send} blocks. */
  public int queueCapacity() {
    return queueCapacity;
  }

  /** Unwritten bytes per stream before {@link StreamSession#send} blocks. */
  public long maxQueuedBytes() {
    return maxQueuedBytes;
  }

  /** Interval of keepalive comments on a stream; zero when disabled. */
  public Duration keepalivePeriod() {
    return keepalivePeriod;
  }

  /** Longest time one write may take before the client is considered gone. */
  public Duration writeTimeout() {
    return writeTimeout;
  }

  /** The {@code retry:} hint written first on every stream, if set. */
  public Optional<Duration> retry() {
    return Optional.ofNullable(retry);
  }

  /** The time source for keepalives and the write timeout. */
  public Scheduler scheduler() {
    return scheduler;
  }

  /** Builds a {@link StreamableConfig}; unset values take the defaults. */
  public static final class Builder {
    private long maxBodyBytes = 4L << 20;
    private int queueCapacity = 64;
    private long maxQueuedBytes = 1L << 20;
    private Duration keepalivePeriod = Duration.ofSeconds(15);
    private Duration writeTimeout = Duration.ofSeconds(30);
    private @Nullable Duration retry;
    private Scheduler scheduler = Scheduler.system();

    private Builder() {}

    /** Largest accepted request body (0 allows only empty bodies). */
    public Builder maxBodyBytes(long v) {
      maxBodyBytes = v;
      return this;
    }

    /** Unwritten events per stream before sends block. */
    public Builder queueCapacity(int v) {
      queueCapacity = v;
      return this;
    }

    /** Unwritten bytes per stream before sends block. */
    public Builder maxQueuedBytes(long v) {
      maxQueuedBytes = v;
      return this;
    }

    /** Interval of {@code ": keepalive"} comments; {@link Duration#ZERO} disables them. */
    public Builder keepalivePeriod(Duration v) {
      keepalivePeriod = v;
      return this;
    }

    /** Longest time one write may take before the stream is dropped. */
    public Builder writeTimeout(Duration v) {
      writeTimeout = v;
      return this;
    }

    /** A {@code retry:} hint written first on every stream; null for none. */
    public Builder retry(@Nullable Duration v) {
      retry = v;
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
    public StreamableConfig build() {
      return new StreamableConfig(this);
    }
  }
}
