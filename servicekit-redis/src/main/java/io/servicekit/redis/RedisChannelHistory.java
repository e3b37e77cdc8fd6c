package io.servicekit.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.servicekit.broker.BrokerUnavailableException;
import io.servicekit.channel.ChannelHistory;
import io.servicekit.channel.Publication;
import io.servicekit.channel.Recovery;
import io.servicekit.channel.StreamPosition;
import io.servicekit.internal.Check;
import io.servicekit.internal.Ids;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A {@link ChannelHistory} in Redis, shared by every node: a client can recover its position on any
 * node.
 *
 * <p>Per channel {@code c} two keys: the hash {@code <prefix>meta:<c>} (field {@code e}: the epoch,
 * 8 random characters of {@code [0-9a-z]}; field {@code n}: the newest offset) and the stream
 * {@code <prefix>pubs:<c>}, whose entry for offset {@code k} has the id {@code k-0} and the fields
 * {@code t} (Redis server time in milliseconds) and {@code d} (the data). Every operation is one
 * Lua script, so it is atomic: an append creates the epoch if there is none, increments {@code n},
 * adds the entry trimmed to the count limit ({@code XADD MAXLEN}) and sets both keys to expire
 * after the age limit — a channel with no publication for that long is forgotten, and its next use
 * starts a new epoch. {@code since} checks the epoch, the top, that the first missed entry is still
 * there and not older than the age limit, and reads the entries after the position, all in one
 * script.
 *
 * <p>After a Redis restart without persistence or a {@code FLUSHALL}, the next use of a channel
 * gets a new epoch, so every position from before gets a resync ({@code epoch_changed}), never a
 * wrong continuation. Nothing blocks: when Redis is unreachable or does not answer within the
 * command timeout, the stage fails with {@link BrokerUnavailableException} (not a resync: the
 * caller may retry). Keys are addressed by one script per channel, so with Redis Cluster both keys
 * of a channel must hash to one slot (use a prefix and channel names with a {@code {hash tag}}).
 */
public final class RedisChannelHistory implements ChannelHistory {
  /** Default count limit per channel. */
  public static final int DEFAULT_MAX_PUBLICATIONS = 1000;

  /** Default age limit. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(10);

  /** Default key prefix. */
  public static final String DEFAULT_PREFIX = "servicekit:channel:";

  // Gets or creates the epoch: KEYS[1] meta, KEYS[2] stream, ARGV[1] a fresh epoch, ARGV[2] age.
  private static final String META =
      """
      local e = redis.call('HGET', KEYS[1], 'e')
      local n = 0
      if e then
        n = tonumber(redis.call('HGET', KEYS[1], 'n'))
      else
        e = ARGV[1]
        redis.call('DEL', KEYS[2])
        redis.call('HSET', KEYS[1], 'e', e, 'n', 0)
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
      end
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      """;

  // ARGV[3] data, ARGV[4] count limit
  private static final String APPEND =
      META
          + """
          n = redis.call('HINCRBY', KEYS[1], 'n', 1)
          redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], n .. '-0',
                     't', string.format('%d', now), 'd', ARGV[3])
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          redis.call('PEXPIRE', KEYS[2], ARGV[2])
          return {e, tostring(n)}
          """;

  private static final String TOP = META + "return {e, tostring(n)}\n";

  // ARGV[3] the position's epoch, ARGV[4] its offset (at most 2^53)
  private static final String SINCE =
      META
          + """
          local out = {'ok', e, tostring(n)}
          if e ~= ARGV[3] then out[1] = 'epoch_changed' return out end
          local off = tonumber(ARGV[4])
          if off > n then out[1] = 'ahead' return out end
          if off == n then return out end
          local first = string.format('%d', off + 1) .. '-0'
          local entries = redis.call('XRANGE', KEYS[2], first, '+')
          if #entries ~= n - off or entries[1][1] ~= first then
            out[1] = 'evicted' return out
          end
          local f = entries[1][2]
          local at = 0
          for i = 1, #f, 2 do if f[i] == 't' then at = tonumber(f[i + 1]) end end
          if at < now - tonumber(ARGV[2]) then out[1] = 'evicted' return out end
          for _, entry in ipairs(entries) do
            local g = entry[2]
            for i = 1, #g, 2 do if g[i] == 'd' then out[#out + 1] = g[i + 1] end end
          end
          return out
          """;

  private static final long MAX_SCRIPT_OFFSET = 1L << 53;

  private final String uri;
  private final String prefix;
  private final int maxPublications;
  private final Duration maxAge;
  private final String maxAgeMillis;
  private final RedisClient ownClient;
  private final StatefulRedisConnection<String, String> conn;
  private final AtomicBoolean closed = new AtomicBoolean();

  private RedisChannelHistory(Builder b) {
    this.prefix = b.prefix;
    this.maxPublications = b.maxPublications;
    this.maxAge = b.maxAge;
    this.maxAgeMillis = Long.toString(b.maxAge.toMillis());
    this.uri = b.uri;
    RedisClient client =
        RedisSupport.client(
            RedisSupport.uri(b.uri, b.commandTimeout),
            Duration.ofSeconds(2),
            Duration.ofSeconds(1));
    this.ownClient = client;
    try {
      this.conn = client.connect();
    } catch (RuntimeException e) {
      RedisSupport.shutdown(client);
      throw new RedisUnavailableException(uri, e);
    }
    conn.setTimeout(b.commandTimeout);
  }

  /** A builder connecting to {@code uri} ({@code redis://host:port[/db]}). */
  public static Builder builder(String uri) {
    RedisSupport.uri(uri, Duration.ofSeconds(5)); // checks the form now
    return new Builder(uri);
  }

  @Override
  public CompletionStage<Publication> append(String channel, String data) {
    ChannelHistory.checkChannel(channel);
    Objects.requireNonNull(data, "data");
    return run(
        "append to",
        channel,
        APPEND,
        List.of(Ids.epoch(), maxAgeMillis, data, Integer.toString(maxPublications)),
        r -> new Publication(channel, position(r), data));
  }

  @Override
  public CompletionStage<Recovery> since(String channel, StreamPosition position) {
    ChannelHistory.checkChannel(channel);
    Objects.requireNonNull(position, "position");
    long offset = Math.min(position.offset(), MAX_SCRIPT_OFFSET);
    return run(
        "recover",
        channel,
        SINCE,
        List.of(Ids.epoch(), maxAgeMillis, position.epoch(), Long.toString(offset)),
        r -> {
          StreamPosition top =
              new StreamPosition((String) r.get(1), Long.parseLong((String) r.get(2)));
          String status = (String) r.get(0);
          return switch (status) {
            case "epoch_changed" -> new Recovery.Resync(top, Recovery.Reason.EPOCH_CHANGED);
            case "ahead" -> new Recovery.Resync(top, Recovery.Reason.AHEAD);
            case "evicted" -> new Recovery.Resync(top, Recovery.Reason.EVICTED);
            case "ok" -> {
              List<Publication> pubs = new ArrayList<>(r.size() - 3);
              for (int i = 3; i < r.size(); i++) {
                pubs.add(
                    new Publication(
                        channel,
                        new StreamPosition(top.epoch(), offset + i - 2),
                        (String) r.get(i)));
              }
              yield new Recovery.Recovered(pubs, top);
            }
            default -> throw new IllegalStateException("unexpected answer " + status);
          };
        });
  }

  @Override
  public CompletionStage<StreamPosition> top(String channel) {
    ChannelHistory.checkChannel(channel);
    return run("read the top of", channel, TOP, List.of(Ids.epoch(), maxAgeMillis), this::position);
  }

  /** True: every node using the same Redis and prefix sees the same history. */
  @Override
  public boolean shared() {
    return true;
  }

  /** The count limit per channel. */
  public int maxPublications() {
    return maxPublications;
  }

  /** The age limit. */
  public Duration maxAge() {
    return maxAge;
  }

  private StreamPosition position(List<Object> r) {
    return new StreamPosition((String) r.get(0), Long.parseLong((String) r.get(1)));
  }

  private <T> CompletionStage<T> run(
      String what,
      String channel,
      String script,
      List<String> args,
      Function<List<Object>, T> answer) {
    CompletableFuture<T> done = new CompletableFuture<>();
    if (closed.get()) {
      done.completeExceptionally(new IllegalStateException("RedisChannelHistory is closed"));
      return done;
    }
    String[] keys = {prefix + "meta:" + channel, prefix + "pubs:" + channel};
    try {
      conn.async()
          .<List<Object>>eval(script, ScriptOutputType.MULTI, keys, args.toArray(String[]::new))
          .whenComplete(
              (r, e) -> {
                if (e != null) {
                  done.completeExceptionally(failed(what, channel, e));
                  return;
                }
                try {
                  done.complete(answer.apply(r));
                } catch (RuntimeException bad) {
                  done.completeExceptionally(
                      new IllegalStateException(
                          "Redis " + uri + ": unexpected answer " + r + " for channel " + channel,
                          bad));
                }
              });
    } catch (RuntimeException e) {
      done.completeExceptionally(failed(what, channel, e));
    }
    return done;
  }

  private BrokerUnavailableException failed(String what, String channel, Throwable e) {
    String why =
        RedisSupport.isTimeout(e)
            ? "no answer within the command timeout (it may still take effect)"
            : e.toString();
    return new BrokerUnavailableException(
        "Redis " + uri + ": cannot " + what + " channel " + channel + ": " + why, false, e);
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      conn.close();
    } finally {
      RedisSupport.shutdown(ownClient);
    }
  }

  @Override
  public String toString() {
    return "RedisChannelHistory["
        + uri
        + ", "
        + prefix
        + "*, "
        + maxPublications
        + " publications, "
        + maxAge
        + "]";
  }

  /** Configures and connects a {@link RedisChannelHistory}. */
  public static final class Builder {
    private final String uri;
    private String prefix = DEFAULT_PREFIX;
    private int maxPublications = DEFAULT_MAX_PUBLICATIONS;
    private Duration maxAge = DEFAULT_MAX_AGE;
    private Duration commandTimeout = Duration.ofSeconds(5);

    private Builder(String uri) {
      this.uri = uri;
    }

    /** Start of every key (default {@value #DEFAULT_PREFIX}); not empty, no whitespace. */
    public Builder prefix(String v) {
      Objects.requireNonNull(v, "prefix");
      if (v.isEmpty() || !v.chars().noneMatch(ch -> ch <= ' ' || ch == 0x7f)) {
        throw new IllegalArgumentException(
            "prefix must be non-empty without whitespace or control characters, was \""
                + v.replaceAll("\\p{Cntrl}", "?")
                + "\"");
      }
      prefix = v;
      return this;
    }

    /** Publications kept per channel (default 1000), 1 to 1,000,000. */
    public Builder maxPublications(int v) {
      Check.inRange("maxPublications", 1, 1_000_000, v);
      maxPublications = v;
      return this;
    }

    /**
     * Age limit of a publication, and how long a channel without publications is remembered
     * (default 10 minutes); at least 1 ms.
     */
    public Builder maxAge(Duration v) {
      maxAge = Check.atLeastOneMilli("maxAge", v);
      return this;
    }

    /** How long a command may take before its stage fails (default 5 s). */
    public Builder commandTimeout(Duration v) {
      commandTimeout = Check.atLeastOneMilli("commandTimeout", v);
      return this;
    }

    /**
     * Connects.
     *
     * @throws RedisUnavailableException if Redis cannot be reached
     */
    public RedisChannelHistory build() {
      return new RedisChannelHistory(this);
    }
  }
}
