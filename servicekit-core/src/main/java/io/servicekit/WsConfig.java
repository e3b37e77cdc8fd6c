package io.servicekit;

import io.servicekit.internal.Check;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Settings of a WebSocket endpoint, immutable and validated when built. {@link #defaults()} is the
 * Go library's {@code DefaultWSConnConfig()} with its open defaults closed:
 *
 * <table>
 * <caption>Defaults</caption>
 * <tr><th>setting</th><th>default</th></tr>
 * <tr><td>{@link #pingPeriod()}</td><td>30 s: a JSON ping {@code {"type":"ping",...}} every period</td></tr>
 * <tr><td>{@link #pongPeriod()}</td><td>300 s of inbound silence before {@code onTimeout}</td></tr>
 * <tr><td>{@link #readBufferSize()} / {@link #writeBufferSize()}</td><td>1024 / 1024 bytes</td></tr>
 * <tr><td>{@link #maxMessageSize()}</td><td>1 MiB; a bigger message closes with 1009</td></tr>
 * <tr><td>{@link #maxQueuedBytes()}</td><td>16 MiB of unsent outgoing data per connection</td></tr>
 * <tr><td>{@link #slowConsumerPolicy()}</td><td>{@link SlowConsumerPolicy#CLOSE} (1008)</td></tr>
 * <tr><td>{@link #writeTimeout()}</td><td>30 s for one frame to be written, else the connection is aborted</td></tr>
 * <tr><td>{@link #closeTimeout()}</td><td>5 s for the peer to answer a close frame</td></tr>
 * <tr><td>{@link #originPolicy()}</td><td>{@link OriginPolicy#sameOrigin()}</td></tr>
 * <tr><td>{@link #compression()}</td><td>off (permessage-deflate, RFC 7692)</td></tr>
 * <tr><td>{@link #serverNoContextTakeover()} / {@link #clientNoContextTakeover()}</td><td>off /
 *     off: both directions keep their compression context across messages</td></tr>
 * <tr><td>{@link #maxCompressedConnections()}</td><td>unlimited</td></tr>
 * <tr><td>{@link #subprotocols()}</td><td>none</td></tr>
 * <tr><td>{@link #absorbPongs()}</td><td>on: client {@code {"type":"pong"}} messages never reach the codec</td></tr>
 * </table>
 */
public final class WsConfig {
  private static final WsConfig DEFAULTS = builder().build();

  private final Duration pingPeriod;
  private final Duration pongPeriod;
  private final int readBufferSize;
  private final int writeBufferSize;
  private final long maxMessageSize;
  private final long maxQueuedBytes;
  private final SlowConsumerPolicy slowConsumerPolicy;
  private final Duration writeTimeout;
  private final Duration closeTimeout;
  private final OriginPolicy originPolicy;
  private final boolean compression;
  private final boolean serverNoContextTakeover;
  private final boolean clientNoContextTakeover;
  private final int maxCompressedConnections;
  private final List<String> subprotocols;
  private final boolean absorbPongs;
  private final Scheduler scheduler;

  private WsConfig(Builder b) {
    this.pingPeriod = Check.positive("pingPeriod", b.pingPeriod);
    this.pongPeriod = Check.positive("pongPeriod", b.pongPeriod);
    this.readBufferSize = (int) Check.positive("readBufferSize", b.readBufferSize);
    this.writeBufferSize = (int) Check.positive("writeBufferSize", b.writeBufferSize);
    this.maxMessageSize = Check.positive("maxMessageSize", b.maxMessageSize);
    this.maxQueuedBytes = Check.positive("maxQueuedBytes", b.maxQueuedBytes);
    this.slowConsumerPolicy = Objects.requireNonNull(b.slowConsumerPolicy, "slowConsumerPolicy");
    this.writeTimeout = Check.positive("writeTimeout", b.writeTimeout);
    this.closeTimeout = Check.positive("closeTimeout", b.closeTimeout);
    this.originPolicy = Objects.requireNonNull(b.originPolicy, "originPolicy");
    this.compression = b.compression;
    this.serverNoContextTakeover = b.serverNoContextTakeover;
    this.clientNoContextTakeover = b.clientNoContextTakeover;
    this.maxCompressedConnections =
        (int) Check.positive("maxCompressedConnections", b.maxCompressedConnections);
    this.subprotocols = List.copyOf(b.subprotocols);
    this.absorbPongs = b.absorbPongs;
    this.scheduler = Objects.requireNonNull(b.scheduler, "scheduler");
  }

  /** The defaults described in the class documentation. */
  public static WsConfig defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.pingPeriod = pingPeriod;
    b.pongPeriod = pongPeriod;
    b.readBufferSize = readBufferSize;
    b.writeBufferSize = writeBufferSize;
    b.maxMessageSize = maxMessageSize;
    b.maxQueuedBytes = maxQueuedBytes;
    b.slowConsumerPolicy = slowConsumerPolicy;
    b.writeTimeout = writeTimeout;
    b.closeTimeout = closeTimeout;
    b.originPolicy = originPolicy;
    b.compression = compression;
    b.serverNoContextTakeover = serverNoContextTakeover;
    b.clientNoContextTakeover = clientNoContextTakeover;
    b.maxCompressedConnections = maxCompressedConnections;
    b.subprotocols = subprotocols;
    b.absorbPongs = absorbPongs;
    b.scheduler = scheduler;
    return b;
  }

  public Duration pingPeriod() {
    return pingPeriod;
  }

  public Duration pongPeriod() {
    return pongPeriod;
  }

  public int readBufferSize() {
    return readBufferSize;
  }

  public int writeBufferSize() {
    return writeBufferSize;
  }

  public long maxMessageSize() {
    return maxMessageSize;
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

  public Duration closeTimeout() {
    return closeTimeout;
  }

  public OriginPolicy originPolicy() {
    return originPolicy;
  }

  /** Whether permessage-deflate is negotiated when the client offers it. */
  public boolean compression() {
    return compression;
  }

  /**
   * Whether the server answers with {@code server_no_context_takeover} even when the client did not
   * ask: the server then compresses every message on its own (Jetty 12.1.14 still keeps a deflater
   * per connection between messages; docs/websocket.md).
   */
  public boolean serverNoContextTakeover() {
    return serverNoContextTakeover;
  }

  /**
   * Whether the server answers with {@code client_no_context_takeover} even when the client did not
   * ask: the client then compresses every message on its own, and the server holds no inflater
   * between messages (Jetty's own WebSocket client does not honour it: docs/websocket.md).
   */
  public boolean clientNoContextTakeover() {
    return clientNoContextTakeover;
  }

  /**
   * How many connections of one endpoint may have permessage-deflate at once; beyond it the offer
   * is declined and the connection proceeds uncompressed. Each compressed connection holds up to
   * about 300 KiB of native zlib state, so this bounds the endpoint's compression memory.
   */
  public int maxCompressedConnections() {
    return maxCompressedConnections;
  }

  public List<String> subprotocols() {
    return subprotocols;
  }

  public boolean absorbPongs() {
    return absorbPongs;
  }

  public Scheduler scheduler() {
    return scheduler;
  }

  /** Builds a {@link WsConfig}; unset values take the defaults. */
  public static final class Builder {
    private Duration pingPeriod = Duration.ofSeconds(30);
    private Duration pongPeriod = Duration.ofSeconds(300);
    private long readBufferSize = 1024;
    private long writeBufferSize = 1024;
    private long maxMessageSize = 1 << 20;
    private long maxQueuedBytes = 16L << 20;
    private SlowConsumerPolicy slowConsumerPolicy = SlowConsumerPolicy.CLOSE;
    private Duration writeTimeout = Duration.ofSeconds(30);
    private Duration closeTimeout = Duration.ofSeconds(5);
    private OriginPolicy originPolicy = OriginPolicy.sameOrigin();
    private boolean compression;
    private boolean serverNoContextTakeover;
    private boolean clientNoContextTakeover;
    private long maxCompressedConnections = Integer.MAX_VALUE;
    private List<String> subprotocols = List.of();
    private boolean absorbPongs = true;
    private Scheduler scheduler = Scheduler.system();

    private Builder() {}

    /** Interval between server JSON pings. */
    public Builder pingPeriod(Duration v) {
      pingPeriod = v;
      return this;
    }

    /** Inbound silence (no message, no pong) after which {@code onTimeout} is asked. */
    public Builder pongPeriod(Duration v) {
      pongPeriod = v;
      return this;
    }

    public Builder readBufferSize(int v) {
      readBufferSize = v;
      return this;
    }

    public Builder writeBufferSize(int v) {
      writeBufferSize = v;
      return this;
    }

    /** Largest accepted message in bytes; a bigger one closes the connection with 1009. */
    public Builder maxMessageSize(long v) {
      maxMessageSize = v;
      return this;
    }

    /** Budget of unsent outgoing bytes per connection (including the frame being written). */
    public Builder maxQueuedBytes(long v) {
      maxQueuedBytes = v;
      return this;
    }

    public Builder slowConsumerPolicy(SlowConsumerPolicy v) {
      slowConsumerPolicy = v;
      return this;
    }

    /** Longest time one frame may take to be written before the peer is considered dead. */
    public Builder writeTimeout(Duration v) {
      writeTimeout = v;
      return this;
    }

    /** Longest wait for the peer's close frame after ours, before the connection is dropped. */
    public Builder closeTimeout(Duration v) {
      closeTimeout = v;
      return this;
    }

    public Builder originPolicy(OriginPolicy v) {
      originPolicy = v;
      return this;
    }

    /**
     * Negotiate permessage-deflate (RFC 7692) when the client offers it. Off by default; {@code
     * false} on one route is its off switch. See docs/websocket.md for the measured costs.
     */
    public Builder compression(boolean v) {
      compression = v;
      return this;
    }

    /**
     * With compression: reset the server's compression context after every message (answer with
     * {@code server_no_context_takeover}). Costs ratio on similar messages and saves some CPU; it
     * does not save memory on Jetty 12.1.14, which keeps the deflater per connection anyway.
     */
    public Builder serverNoContextTakeover(boolean v) {
      serverNoContextTakeover = v;
      return this;
    }

    /**
     * With compression: ask the client to reset its compression context after every message (answer
     * with {@code client_no_context_takeover}), so the server holds no inflater (its 32 KiB window)
     * between messages. Clients must honour it; Jetty 12.1.14's own client does not (1007).
     */
    public Builder clientNoContextTakeover(boolean v) {
      clientNoContextTakeover = v;
      return this;
    }

    /**
     * With compression: at most {@code v} connections of the endpoint compressed at once (the
     * others are served uncompressed). Unlimited by default; must be positive.
     */
    public Builder maxCompressedConnections(int v) {
      maxCompressedConnections = v;
      return this;
    }

    /** Subprotocols the server speaks, in order of preference; the first one offered is chosen. */
    public Builder subprotocols(List<String> v) {
      subprotocols = List.copyOf(v);
      return this;
    }

    /**
     * Whether client JSON pongs ({@code {"type":"pong","pingId":n}}) are absorbed by the transport
     * as liveness and never reach the codec. On by default, so binary codecs survive pongs.
     */
    public Builder absorbPongs(boolean v) {
      absorbPongs = v;
      return this;
    }

    /** The time source; tests pass a fake. */
    public Builder scheduler(Scheduler v) {
      scheduler = v;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming the first invalid setting and its value
     */
    public WsConfig build() {
      return new WsConfig(this);
    }
  }
}
