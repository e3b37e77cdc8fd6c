package io.servicekit.channel;

import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.DecodeException;
import io.servicekit.EncodeException;
import io.servicekit.ErrorAction;
import io.servicekit.Message;
import io.servicekit.Request;
import io.servicekit.Scheduler;
import io.servicekit.WsHandler;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.broker.Broker;
import io.servicekit.internal.BrokerEnvelope;
import io.servicekit.internal.Check;
import io.servicekit.internal.Ids;
import io.servicekit.internal.PendingReplies;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseHandler;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The channel server of one node: the WebSocket protocol and the SSE mapping of docs/channels.md,
 * publishing with positions, recovery from a {@link ChannelHistory}, cluster fan-out through a
 * {@link Broker}, and requests answered in both directions.
 *
 * <p>Ordering: per channel this node delivers live publications to its subscribers strictly in
 * offset order, without gaps or repeats. Publications that arrive out of order (two nodes
 * publishing at once) wait in a small reorder buffer; a gap that does not fill within {@code
 * gapTimeout}, or a {@link Broker#onGap}, is filled from the history; a gap the history no longer
 * covers is reported to the subscribers as a {@code resync}.
 *
 * <pre>{@code
 * Channels channels = Channels.builder().build();
 * server.ws("/channels", channels.wsHandler());
 * channels.publish("news", Map.of("title", "hello"));
 * }</pre>
 */
public final class Channels implements AutoCloseable {
  /** Default bound of subscriptions per connection. */
  public static final int DEFAULT_MAX_SUBSCRIPTIONS = 100;

  /** Default wait for a client's reply to {@link #request}. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  /** Default wait for a missing publication before it is read from the history. */
  public static final Duration DEFAULT_GAP_TIMEOUT = Duration.ofMillis(250);

  /** Most unanswered server-to-client requests per connection. */
  public static final int MAX_PENDING_REQUESTS = 1000;

  /** Most publications held back per channel while waiting for a missing one. */
  public static final int MAX_REORDER = 1000;

  private static final JsonMapper JSON =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final long MAX_ID = PendingReplies.MAX_ID;
  private static final byte KIND_PUB = 1;

  /** May this connection subscribe to or publish on a channel. */
  @FunctionalInterface
  public interface Policy {
    /**
     * Whether {@code user} (of the connection that sent {@code request}) may do {@code action} on
     * {@code channel}.
     */
    boolean allows(Request request, @Nullable String user, Action action, String channel);
  }

  /** What a {@link Policy} is asked about. */
  public enum Action {
    /** Subscribing (WebSocket {@code subscribe}, or an SSE stream of the channel). */
    SUBSCRIBE,
    /** Publishing through a WebSocket {@code publish}. */
    PUBLISH
  }

  /** The application's answer to a client's {@code request} envelope. */
  @FunctionalInterface
  public interface RequestHandler {
    /**
     * Answers {@code data} (decoded JSON: maps, lists, strings, numbers, booleans, null).
     *
     * @return the reply's data (any value Jackson can write)
     * @throws ReplyException to answer with its code; anything else is answered with {@code
     *     internal}
     */
    CompletionStage<Object> onRequest(WsSession<Object> session, @Nullable Object data)
        throws Exception;
  }

  /**
   * Counters of this node.
   *
   * @param subscribers WebSocket and SSE subscriptions now
   * @param channels channels with subscribers now
   * @param lateReplies replies from clients to requests no longer pending
   * @param gapFills reads from the history to fill a gap in live delivery
   * @param resyncs resyncs sent (in subscribe replies, live, or as SSE events)
   */
  public record Stats(
      int subscribers, int channels, long lateReplies, long gapFills, long resyncs) {}

  private final ChannelHistory history;
  private final @Nullable Broker broker;
  private final @Nullable String topicPrefix;
  private final @Nullable Function<Request, String> identity;
  private final Policy policy;
  private final @Nullable RequestHandler onRequest;
  private final int maxSubscriptions;
  private final Duration requestTimeout;
  private final Duration gapTimeout;
  private final Scheduler scheduler;
  private final String nodeId = Ids.random();
  private final Map<String, Chan> chans = new ConcurrentHashMap<>();
  private final Map<String, Conn> conns = new ConcurrentHashMap<>();
  private final AtomicLong lateReplies = new AtomicLong();
  private final AtomicLong gapFills = new AtomicLong();
  private final AtomicLong resyncs = new AtomicLong();
  private final List<Broker.Subscription> brokerSubs = new ArrayList<>();
  private final Presence presence;
  private final boolean ownsPresence;
  private final Broker.Subscription presenceSub;

  private Channels(Builder b) {
    this.history = b.history != null ? b.history : new MemoryChannelHistory();
    this.broker = b.broker;
    this.topicPrefix = b.topicPrefix;
    this.identity = b.identity;
    this.policy = b.policy;
    this.onRequest = b.onRequest;
    this.maxSubscriptions = b.maxSubscriptions;
    this.requestTimeout = b.requestTimeout;
    this.gapTimeout = b.gapTimeout;
    this.scheduler = b.scheduler;
    this.ownsPresence = b.presence == null;
    this.presence = b.presence != null ? b.presence : Presence.local();
    this.presenceSub =
        presence.onChange(
            new PresenceListener() {
              @Override
              public void onJoin(String channel, PresenceMember member) {
                ObjectNode n = JSON.createObjectNode();
                n.put("type", "join");
                n.put("channel", channel);
                n.put("user", member.user());
                n.put("connections", member.connections());
                toPresenceSubscribers(channel, Message.text(n.toString()));
              }

              @Override
              public void onLeave(String channel, String user) {
                ObjectNode n = JSON.createObjectNode();
                n.put("type", "leave");
                n.put("channel", channel);
                n.put("user", user);
                toPresenceSubscribers(channel, Message.text(n.toString()));
              }
            });
    if (broker != null) {
      brokerSubs.add(broker.subscribePattern(topicPrefix + ".*", this::onBroker));
      brokerSubs.add(broker.onGap(gap -> chans.values().forEach(Chan::fill)));
    }
  }

  /** A builder with the defaults: memory history, no broker, everything allowed. */
  public static Builder builder() {
    return new Builder();
  }

  /** Settings of {@link Channels}; each is checked when set. */
  public static final class Builder {
    private @Nullable ChannelHistory history;
    private @Nullable Broker broker;
    private @Nullable String topicPrefix;
    private @Nullable Function<Request, String> identity;
    private Policy policy = (request, user, action, channel) -> true;
    private @Nullable RequestHandler onRequest;
    private int maxSubscriptions = DEFAULT_MAX_SUBSCRIPTIONS;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration gapTimeout = DEFAULT_GAP_TIMEOUT;
    private Scheduler scheduler = Scheduler.system();
    private @Nullable Presence presence;

    private Builder() {}

    /**
     * Who is connected to each channel (default: a new {@link Presence#local()}, closed by {@link
     * Channels#close()}); a presence given here is not closed by it. Give every node a presence
     * sharing one broker for cluster-wide members.
     */
    public Builder presence(Presence presence) {
      this.presence = Objects.requireNonNull(presence, "presence");
      return this;
    }

    /** The history (default: a new {@link MemoryChannelHistory}); shared by a cluster's nodes. */
    public Builder history(ChannelHistory history) {
      this.history = Objects.requireNonNull(history, "history");
      return this;
    }

    /**
     * Fans live publications out to the other nodes through {@code broker}, on topics {@code
     * <topicPrefix>.<channel>}. The nodes must share one history (e.g. {@code RedisChannelHistory})
     * for their positions to agree.
     *
     * @throws IllegalArgumentException if the prefix is empty or contains {@code *}
     */
    public Builder broker(Broker broker, String topicPrefix) {
      this.broker = Objects.requireNonNull(broker, "broker");
      this.topicPrefix = Broker.checkTopicPrefix("topicPrefix", topicPrefix);
      return this;
    }

    /**
     * The user of a connection, from its upgrade request (e.g. an authenticated name). Default: the
     * connection's id, so that every connection is its own user.
     */
    public Builder identity(Function<Request, String> identity) {
      this.identity = Objects.requireNonNull(identity, "identity");
      return this;
    }

    /** Who may subscribe and publish where; default: everyone everywhere. */
    public Builder policy(Policy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Answers clients' {@code request} envelopes; default: none (answered {@code internal}). */
    public Builder onRequest(RequestHandler onRequest) {
      this.onRequest = Objects.requireNonNull(onRequest, "onRequest");
      return this;
    }

    /**
     * Most channels one connection may subscribe to (default {@value
     * Channels#DEFAULT_MAX_SUBSCRIPTIONS}); one more is answered {@code limit}.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxSubscriptionsPerConnection(int max) {
      this.maxSubscriptions = Check.positive("maxSubscriptionsPerConnection", max);
      return this;
    }

    /**
     * How long {@link Channels#request} waits for the client's reply (default 10 s).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = Check.positive("requestTimeout", timeout);
      return this;
    }

    /**
     * How long a missing publication is waited for before it is read from the history (default 250
     * ms).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder gapTimeout(Duration timeout) {
      this.gapTimeout = Check.positive("gapTimeout", timeout);
      return this;
    }

    /** The timers (request timeouts, gap fills); default the system scheduler. */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** The channel server. */
    public Channels build() {
      return new Channels(this);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Publishing

  /**
   * Publishes {@code message} on {@code channel}: encoded once as JSON, appended to the history,
   * delivered to this node's subscribers and, with a broker, to the other nodes'.
   *
   * @return the publication with its position; fails if the history does (nothing was delivered)
   * @throws IllegalArgumentException if the channel name is invalid
   * @throws EncodeException if {@code message} cannot be written as JSON
   */
  public CompletionStage<Publication> publish(String channel, Object message) {
    ChannelHistory.checkChannel(channel);
    String data;
    try {
      data = JSON.writeValueAsString(message);
    } catch (JacksonException e) {
      throw new EncodeException("cannot encode the message as JSON: " + e.getOriginalMessage(), e);
    }
    return publishEncoded(channel, data);
  }

  private CompletionStage<Publication> publishEncoded(String channel, String data) {
    return history
        .append(channel, data)
        .thenApply(
            p -> {
              Chan c = chans.get(channel);
              if (c != null) {
                c.offer(p);
              }
              if (broker != null) {
                BrokerEnvelope env =
                    new BrokerEnvelope(
                        nodeId,
                        KIND_PUB,
                        channel,
                        "",
                        p.position().epoch(),
                        Long.toString(p.offset()),
                        false,
                        data.getBytes(StandardCharsets.UTF_8));
                // at most once: a node that misses it fills the gap from the history
                broker.publish(topicPrefix + "." + channel, env.toBytes());
              }
              return p;
            });
  }

  // NullAway: a KIND_PUB envelope comes from a Channels node, which always sets a (the epoch) and b
  // (the offset); a forged one without them throws here, and the broker logs and drops it.
  @SuppressWarnings("NullAway")
  private void onBroker(String topic, byte[] payload) {
    BrokerEnvelope env;
    try {
      env = BrokerEnvelope.parse(payload);
    } catch (IllegalArgumentException e) {
      return;
    }
    if (env.kind() != KIND_PUB || nodeId.equals(env.nodeId())) {
      return;
    }
    Chan c = chans.get(env.target());
    if (c != null) {
      c.offer(
          new Publication(
              env.target(),
              new StreamPosition(env.a(), Long.parseLong(env.b())),
              new String(env.payload(), StandardCharsets.UTF_8)));
    }
  }

  /** Counters of this node. */
  public Stats stats() {
    int subs = 0;
    for (Chan c : chans.values()) {
      subs += c.size();
    }
    return new Stats(subs, chans.size(), lateReplies.get(), gapFills.get(), resyncs.get());
  }

  /**
   * The members of {@code channel} (cluster-wide, sorted by user), as the {@code presence} envelope
   * answers them.
   *
   * @throws IllegalArgumentException if the channel name is invalid
   */
  public List<PresenceMember> members(String channel) {
    return presence.members(channel);
  }

  /**
   * Sends a join or leave to this node's subscribers of {@code channel} that asked for presence.
   */
  private void toPresenceSubscribers(String channel, Message wire) {
    Chan c = chans.get(channel);
    if (c == null) {
      return;
    }
    c.lock.lock();
    try {
      for (Sub s : c.subs) {
        if (s.sink instanceof WsSink ws && ws.presence) {
          ws.session.sendMessage(wire); // non-blocking
        }
      }
    } finally {
      c.lock.unlock();
    }
  }

  /**
   * Ends the broker subscriptions and the presence listener, and closes the presence if this {@code
   * Channels} made it; connections stay open. Idempotent.
   */
  @Override
  public void close() {
    brokerSubs.forEach(Broker.Subscription::close);
    brokerSubs.clear();
    presenceSub.close();
    if (ownsPresence) {
      presence.close();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Ordering: one place. A Chan exists while the channel has subscribers on this node.

  /** Where a subscriber's publications go. */
  private interface Sink {
    void pub(Publication p, Message wire);

    void resync(String channel, StreamPosition top, Recovery.Reason reason);
  }

  private static final class Sub {
    final Sink sink;
    long sent = -1; // offset last sent; -1 until the subscribe is answered
    List<Object> pending = new ArrayList<>(); // Publications and Resyncs before the answer

    Sub(Sink sink) {
      this.sink = sink;
    }
  }

  private final class Chan {
    final String name;
    final ReentrantLock lock = new ReentrantLock();
    final List<Sub> subs = new ArrayList<>(); // guarded by lock
    final TreeMap<Long, Publication> held = new TreeMap<>(); // reorder buffer; lock
    final CompletableFuture<StreamPosition> init;
    @Nullable String epoch; // lock; null until init
    long last = -1; // last delivered offset; lock
    boolean filling; // lock
    boolean failed; // the last fill failed: the timer tries again; lock
    boolean overflow; // a publication was not held (buffer full) since the last fill began; lock
    Scheduler.@Nullable Cancellable gapTimer; // lock
    boolean gone; // removed from chans; lock

    Chan(String name) {
      this.name = name;
      this.init = new CompletableFuture<>();
    }

    int size() {
      lock.lock();
      try {
        return subs.size();
      } finally {
        lock.unlock();
      }
    }

    void start() {
      history
          .top(name)
          .whenComplete(
              (top, e) -> {
                if (e != null) {
                  init.completeExceptionally(e);
                  return;
                }
                lock.lock();
                try {
                  epoch = top.epoch();
                  last = top.offset();
                  drain();
                } finally {
                  lock.unlock();
                }
                init.complete(top);
              });
    }

    /** Takes in one publication from anywhere (local publish, broker, gap fill). */
    void offer(Publication p) {
      lock.lock();
      try {
        if (epoch == null) { // before init: hold, init drains
          if (held.size() < MAX_REORDER) {
            held.put(p.offset(), p);
          }
          return;
        }
        if (!p.position().epoch().equals(epoch)) {
          if (p.offset() <= 1 || held.isEmpty()) {
            // the history started a new epoch: everyone continues from its start
            epoch = p.position().epoch();
            last = 0;
            held.clear();
            resyncAll(StreamPosition.start(epoch), Recovery.Reason.EPOCH_CHANGED);
          } else {
            return;
          }
        }
        if (p.offset() <= last) {
          return; // a repeat
        }
        if (held.size() >= MAX_REORDER && p.offset() != last + 1 && !held.containsKey(p.offset())) {
          // full: not held. The history has it (appended before it was sent), a fill reads it:
          // at once, or on the timer while the history fails (not one read per arrival)
          overflow = true;
          if (!failed) {
            if (gapTimer != null) {
              gapTimer.cancel();
              gapTimer = null;
            }
            fillLocked();
          }
          return;
        }
        held.put(p.offset(), p);
        drain();
      } finally {
        lock.unlock();
      }
    }

    /** Delivers the held publications that follow {@code last}; arms the gap timer for the rest. */
    private void drain() {
      held.headMap(last, true).clear();
      Map.Entry<Long, Publication> next;
      while ((next = held.firstEntry()) != null && next.getKey() == last + 1) {
        held.pollFirstEntry();
        last++;
        deliver(next.getValue());
      }
      if (held.isEmpty()) {
        if (gapTimer != null) {
          gapTimer.cancel();
          gapTimer = null;
        }
      } else if (gapTimer == null && !filling && !gone) {
        gapTimer = scheduler.schedule(this::fill, gapTimeout);
      }
    }

    private void deliver(Publication p) {
      Message wire = pubWire(p);
      for (Sub s : subs) {
        if (s.sent < 0) {
          s.pending.add(p);
        } else if (p.offset() > s.sent) {
          s.sent = p.offset();
          s.sink.pub(p, wire);
        }
      }
    }

    private void resyncAll(StreamPosition top, Recovery.Reason reason) {
      Recovery.Resync r = new Recovery.Resync(top, reason);
      for (Sub s : subs) {
        if (s.sent < 0) {
          s.pending.add(r);
        } else {
          s.sent = top.offset();
          resyncs.incrementAndGet();
          s.sink.resync(name, top, reason);
        }
      }
    }

    /** Reads what this node missed after {@code last} from the history. */
    void fill() {
      lock.lock();
      try {
        if (gapTimer != null) {
          gapTimer.cancel(); // a broker gap: this fill replaces the pending one
          gapTimer = null;
        }
        if (epoch != null && !gone) {
          fillLocked();
        }
      } finally {
        lock.unlock();
      }
    }

    // NullAway: both callers hold the lock and have seen epoch set (offer returns while it is
    // null, fill checks it), and nothing sets it back to null.
    @SuppressWarnings("NullAway")
    private void fillLocked() {
      if (filling) {
        return;
      }
      filling = true;
      overflow = false;
      gapFills.incrementAndGet();
      history
          .since(name, new StreamPosition(epoch, last))
          .whenComplete(
              (r, e) -> {
                lock.lock();
                try {
                  filling = false;
                  failed = e != null;
                  if (e == null && r instanceof Recovery.Recovered ok) {
                    for (Publication p : ok.publications()) {
                      if (p.offset() > last) {
                        held.put(p.offset(), p);
                      }
                    }
                  } else if (e == null && r instanceof Recovery.Resync rs) {
                    // the history no longer has the missing ones: skip to its top
                    epoch = rs.top().epoch();
                    last = rs.top().offset();
                    resyncAll(rs.top(), rs.reason());
                  }
                  drain(); // on a failure this re-arms the timer: tried again later
                  if (e != null && gapTimer == null && !gone) {
                    // also when nothing is held (a broker gap's fill): the gap is still there
                    gapTimer = scheduler.schedule(this::fill, gapTimeout);
                  } else if (e == null && overflow && !gone) {
                    fill(); // some were not held while this read ran: read them now
                  }
                } finally {
                  lock.unlock();
                }
              });
    }

    /**
     * Registers {@code sink} and answers the subscription: the publications after {@code since} (or
     * none without it) go to the sink, then {@code answered} runs with the recovery, then live
     * publications follow. {@code answered} runs under the channel lock and must not block.
     */
    CompletionStage<Recovery> subscribe(
        Sink sink, @Nullable StreamPosition since, java.util.function.Consumer<Recovery> answered) {
      Sub sub = new Sub(sink);
      lock.lock();
      try {
        subs.add(sub);
      } finally {
        lock.unlock();
      }
      return init.thenCompose(
              x ->
                  since == null
                      ? history
                          .top(name)
                          .thenApply(t -> (Recovery) new Recovery.Recovered(List.of(), t))
                      : history.since(name, since))
          .whenComplete(
              (r, e) -> {
                lock.lock();
                try {
                  if (e != null) {
                    subs.remove(sub);
                    if (subs.isEmpty()) {
                      remove();
                    }
                    return;
                  }
                  if (r instanceof Recovery.Recovered ok) {
                    Message wire;
                    for (Publication p : ok.publications()) {
                      wire = pubWire(p);
                      sink.pub(p, wire);
                    }
                  } else {
                    resyncs.incrementAndGet();
                  }
                  sub.sent = r.top().offset();
                  answered.accept(r);
                  List<Object> before = sub.pending;
                  sub.pending = List.of();
                  for (Object o : before) {
                    if (o instanceof Publication p) {
                      if (p.offset() > sub.sent) {
                        sub.sent = p.offset();
                        sink.pub(p, pubWire(p));
                      }
                    } else if (o instanceof Recovery.Resync rs && rs.top().offset() > sub.sent) {
                      sub.sent = rs.top().offset();
                      resyncs.incrementAndGet();
                      sink.resync(name, rs.top(), rs.reason());
                    }
                  }
                } finally {
                  lock.unlock();
                }
              });
    }

    void unsubscribe(Sink sink) {
      lock.lock();
      try {
        subs.removeIf(s -> s.sink == sink);
        if (subs.isEmpty()) {
          remove();
        }
      } finally {
        lock.unlock();
      }
    }

    private void remove() {
      gone = true;
      if (gapTimer != null) {
        gapTimer.cancel();
        gapTimer = null;
      }
      chans.remove(name, this);
    }
  }

  /** The channel's state, created (and its top read) with its first subscriber on this node. */
  private CompletionStage<Recovery> subscribe(
      String channel,
      Sink sink,
      @Nullable StreamPosition since,
      java.util.function.Consumer<Recovery> answered) {
    while (true) {
      boolean[] created = {false};
      Chan c =
          chans.computeIfAbsent(
              channel,
              n -> {
                created[0] = true;
                return new Chan(n);
              });
      c.lock.lock();
      try {
        if (c.gone) {
          continue;
        }
      } finally {
        c.lock.unlock();
      }
      CompletionStage<Recovery> answer = c.subscribe(sink, since, answered);
      if (created[0]) {
        c.start();
      }
      return answer;
    }
  }

  private void unsubscribe(String channel, Sink sink) {
    Chan c = chans.get(channel);
    if (c != null) {
      c.unsubscribe(sink);
    }
  }

  private static Message pubWire(Publication p) {
    return Message.text(
        "{\"type\":\"pub\",\"channel\":"
            + quote(p.channel())
            + ",\"epoch\":"
            + quote(p.position().epoch())
            + ",\"offset\":"
            + p.offset()
            + ",\"data\":"
            + p.data()
            + "}");
  }

  private static String quote(String s) {
    return JSON.writeValueAsString(s);
  }

  // ---------------------------------------------------------------------------------------------
  // WebSocket: one connection, one dispatcher

  /**
   * The WebSocket handler of the channel protocol (JSON text frames, docs/channels.md). It also
   * answers a client's {@code {"type":"ping"}} with {@code {"type":"pong"}} (with the same {@code
   * pingId}, if any).
   */
  public WsHandler<Object, Object> wsHandler() {
    return request -> new Conn(request);
  }

  /**
   * Sends {@code data} to the client of {@code session} as a {@code request} and completes with the
   * data of its reply.
   *
   * @param session a connection of {@link #wsHandler()}
   * @return fails with {@link ReplyException}: the client's error code, {@code timeout} after
   *     {@code requestTimeout}, {@code limit} when too many are unanswered, {@code unavailable}
   *     when the connection closed (at once, also for those already sent)
   */
  public CompletionStage<Object> request(WsSession<?> session, Object data) {
    Conn conn = conns.get(session.id());
    if (conn == null) {
      return CompletableFuture.failedFuture(
          new ReplyException(
              ReplyException.UNAVAILABLE,
              "connection " + session.id() + " is not an open channel connection"));
    }
    PendingReplies.Pending<Object> p;
    try {
      p = conn.outgoing.open(requestTimeout);
    } catch (ReplyException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (!p.future().isDone()) {
      ObjectNode env = JSON.createObjectNode();
      env.put("type", "request");
      env.put("id", p.id());
      env.set("data", JSON.valueToTree(data));
      if (!session.sendMessage(Message.text(env.toString()))) {
        conn.outgoing.fail(
            p.id(), new ReplyException(ReplyException.UNAVAILABLE, "the connection is closed"));
      }
    }
    return p.future();
  }

  /** Decodes text frames to JSON trees; a frame that is not JSON is answered, not closed. */
  private static final Codec<Object, Object> CODEC =
      new Codec<>() {
        @Override
        public Object decode(Message frame) throws DecodeException {
          if (!(frame instanceof Message.Text text)) {
            throw new DecodeException("channel messages are JSON text frames, got a binary frame");
          }
          try {
            return JSON.readTree(text.text());
          } catch (JacksonException e) {
            throw new DecodeException("message is not JSON: " + e.getOriginalMessage(), e);
          }
        }

        @Override
        public Message encode(Object message) throws EncodeException {
          try {
            return Message.text(JSON.writeValueAsString(message));
          } catch (JacksonException e) {
            throw new EncodeException("cannot encode as JSON: " + e.getOriginalMessage(), e);
          }
        }
      };

  /** A request that was wrong: answered with a reply error, the connection stays. */
  private static ReplyException bad(@Nullable String message) {
    return new ReplyException(ReplyException.BAD_REQUEST, message);
  }

  private final class Conn implements WsListener<Object, Object> {
    final Request request;

    // Both set by onOpen, which runs before any other callback of the connection.
    @SuppressWarnings("NullAway.Init")
    volatile WsSession<Object> session;

    @SuppressWarnings("NullAway.Init")
    String user;

    final Map<String, WsSink> subscriptions = new ConcurrentHashMap<>();
    final PendingReplies<Object> outgoing = new PendingReplies<>(scheduler, MAX_PENDING_REQUESTS);

    Conn(Request request) {
      this.request = request;
    }

    @Override
    public Codec<Object, Object> codec() {
      return CODEC;
    }

    @Override
    public String name() {
      return "Channels";
    }

    @Override
    public void onOpen(WsSession<Object> s) {
      session = s;
      user = identity == null ? s.id() : identity.apply(request);
      conns.put(s.id(), this);
    }

    @Override
    public ErrorAction onError(WsSession<Object> s, Throwable error) {
      if (error instanceof DecodeException) {
        s.sendError(error.getMessage());
        return ErrorAction.CONTINUE;
      }
      return WsListener.super.onError(s, error);
    }

    @Override
    public void onClose(WsSession<Object> s, CloseStatus status) {
      conns.remove(s.id(), this);
      subscriptions.forEach(
          (channel, sink) -> {
            unsubscribe(channel, sink);
            presence.leave(channel, user, s.id());
          });
      subscriptions.clear();
      outgoing.close(
          new ReplyException(
              ReplyException.UNAVAILABLE, "the connection closed (" + status.code() + ")"));
    }

    @Override
    public void onMessage(WsSession<Object> s, Object message) {
      JsonNode msg = (JsonNode) message;
      if (!msg.isObject()) {
        s.sendError("message must be a JSON object, was " + msg.getNodeType());
        return;
      }
      JsonNode typeNode = msg.get("type");
      if (typeNode == null || !typeNode.isString()) {
        s.sendError("message must have a string \"type\", was " + shorten(typeNode));
        return;
      }
      String type = typeNode.asString();
      switch (type) {
        case "ping" -> {
          ObjectNode pong = JSON.createObjectNode();
          pong.put("type", "pong");
          if (msg.has("pingId")) {
            pong.set("pingId", msg.get("pingId"));
          }
          s.sendMessage(Message.text(pong.toString()));
          return;
        }
        case "pong" -> {
          return; // heartbeat answer when the transport does not absorb it
        }
        case "reply" -> {
          onReply(msg);
          return;
        }
        default -> {}
      }
      long id;
      JsonNode idNode = msg.get("id");
      if (idNode == null
          || !idNode.isIntegralNumber()
          || !idNode.canConvertToLong()
          || idNode.asLong() < 1
          || idNode.asLong() > MAX_ID) {
        s.sendError(
            "\"id\" must be a positive integer at most 2^53-1, was "
                + shorten(idNode)
                + " (message type "
                + shorten(typeNode)
                + ")");
        return;
      }
      id = idNode.asLong();
      CompletionStage<?> answer;
      try {
        answer =
            switch (type) {
              case "subscribe" -> onSubscribe(msg);
              case "unsubscribe" -> onUnsubscribe(msg);
              case "publish" -> onPublish(msg);
              case "presence" -> onPresence(msg);
              case "request" -> onClientRequest(msg);
              default -> throw bad("unknown message type \"" + shorten(type) + "\"");
            };
      } catch (RuntimeException e) {
        answer = CompletableFuture.failedFuture(e);
      }
      if (answer != null) {
        answer.whenComplete((data, e) -> reply(id, data, e));
      }
    }

    private void reply(long id, @Nullable Object data, @Nullable Throwable e) {
      ObjectNode env = JSON.createObjectNode();
      env.put("type", "reply");
      env.put("id", id);
      if (e == null) {
        env.set("data", data instanceof JsonNode n ? n : JSON.valueToTree(data));
      } else {
        Throwable cause =
            e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        ReplyException r =
            cause instanceof ReplyException re
                ? re
                : cause instanceof IllegalArgumentException iae
                    ? bad(iae.getMessage())
                    : new ReplyException(
                        cause instanceof io.servicekit.broker.BrokerUnavailableException
                            ? ReplyException.UNAVAILABLE
                            : ReplyException.INTERNAL,
                        cause.getMessage() == null ? cause.toString() : cause.getMessage());
        env.put("error", r.getMessage());
        env.put("code", r.code());
      }
      session.sendMessage(Message.text(env.toString()));
    }

    private void onReply(JsonNode msg) {
      JsonNode idNode = msg.get("id");
      if (idNode == null || !idNode.isIntegralNumber() || !idNode.canConvertToLong()) {
        session.sendError("\"id\" of a reply must be a positive integer, was " + shorten(idNode));
        return;
      }
      long id = idNode.asLong();
      boolean known;
      JsonNode error = msg.get("error");
      if (error != null) {
        JsonNode code = msg.get("code");
        String c = code != null && code.isString() ? code.asString() : ReplyException.INTERNAL;
        try {
          ReplyException.checkCode(c);
        } catch (IllegalArgumentException e) {
          c = ReplyException.INTERNAL;
        }
        known = outgoing.fail(id, new ReplyException(c, error.asString()));
      } else {
        JsonNode data = msg.get("data");
        known = outgoing.complete(id, data == null ? null : JSON.treeToValue(data, Object.class));
      }
      if (!known) {
        lateReplies.incrementAndGet();
      }
    }

    private String channelOf(JsonNode msg) {
      JsonNode c = msg.get("channel");
      if (c == null || !c.isString()) {
        throw bad("\"channel\" must be a string, was " + shorten(c));
      }
      try {
        return ChannelHistory.checkChannel(c.asString());
      } catch (IllegalArgumentException e) {
        throw bad(e.getMessage());
      }
    }

    private void allowed(Action action, String channel) {
      if (!policy.allows(request, user, action, channel)) {
        throw new ReplyException(
            ReplyException.FORBIDDEN,
            action.name().toLowerCase(java.util.Locale.ROOT) + " on \"" + channel + "\" refused");
      }
    }

    private @Nullable CompletionStage<?> onSubscribe(JsonNode msg) {
      String channel = channelOf(msg);
      StreamPosition since = null;
      JsonNode s = msg.get("since");
      if (s != null && !s.isNull()) {
        JsonNode e = s.get("epoch");
        JsonNode o = s.get("offset");
        if (!s.isObject()) {
          throw bad("\"since\" must be an object {epoch, offset}, was " + shorten(s));
        }
        if (e == null || !e.isString()) {
          throw bad("\"since.epoch\" must be a string, was " + shorten(e));
        }
        if (o == null || !o.isIntegralNumber() || !o.canConvertToLong() || o.asLong() < 0) {
          throw bad("\"since.offset\" must be an integer >= 0, was " + shorten(o));
        }
        try {
          since = new StreamPosition(e.asString(), o.asLong());
        } catch (IllegalArgumentException x) {
          throw bad("\"since\": " + x.getMessage());
        }
      }
      JsonNode wants = msg.get("presence");
      if (wants != null && !wants.isBoolean() && !wants.isNull()) {
        throw bad("\"presence\" must be a boolean, was " + shorten(wants));
      }
      allowed(Action.SUBSCRIBE, channel);
      WsSink existing = subscriptions.get(channel);
      if (existing != null) {
        return existing.answer.thenApply(r -> existing.reached(channel));
      }
      if (subscriptions.size() >= maxSubscriptions) {
        throw new ReplyException(
            ReplyException.LIMIT,
            "subscriptions per connection must be at most maxSubscriptionsPerConnection "
                + maxSubscriptions
                + ", this would be "
                + (subscriptions.size() + 1));
      }
      if (!presence.join(channel, user, session.id())) {
        throw new ReplyException(
            ReplyException.LIMIT,
            "presence of \""
                + channel
                + "\" is full (maxMembersPerChannel or maxChannels reached), user "
                + user
                + " refused");
      }
      WsSink sink = new WsSink(session, wants != null && wants.isBoolean() && wants.asBoolean());
      subscriptions.put(channel, sink);
      StreamPosition asked = since;
      long id = idOf(msg);
      sink.answer =
          subscribe(
              channel,
              sink,
              since,
              r -> {
                ObjectNode data = JSON.createObjectNode();
                data.put("channel", channel);
                data.put("epoch", r.top().epoch());
                data.put("offset", r.top().offset());
                data.put("recovered", asked != null && r instanceof Recovery.Recovered);
                if (r instanceof Recovery.Resync rs) {
                  data.put("resync", rs.reason().wireName());
                }
                sink.epoch = r.top().epoch();
                sink.offset = r.top().offset();
                // sent under the channel lock: after the recovered pubs, before any live one
                reply(id, data, null);
              });
      sink.answer.whenComplete(
          (r, e) -> {
            if (e != null) {
              if (subscriptions.remove(channel, sink)) {
                Channels.this.presence.leave(channel, user, session.id());
              }
              Throwable cause =
                  e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
              reply(
                  id,
                  null,
                  cause instanceof ReplyException
                      ? cause
                      : new ReplyException(
                          ReplyException.UNAVAILABLE,
                          "the channel history is unavailable: " + cause.getMessage(),
                          cause));
            }
          });
      return null; // answered above
    }

    private long idOf(JsonNode msg) {
      return msg.get("id").asLong();
    }

    private CompletionStage<?> onUnsubscribe(JsonNode msg) {
      String channel = channelOf(msg);
      WsSink sink = subscriptions.remove(channel);
      if (sink != null) {
        unsubscribe(channel, sink);
        presence.leave(channel, user, session.id());
      }
      ObjectNode data = JSON.createObjectNode();
      data.put("channel", channel);
      return CompletableFuture.completedFuture(data);
    }

    private CompletionStage<?> onPublish(JsonNode msg) {
      String channel = channelOf(msg);
      JsonNode data = msg.get("data");
      if (data == null) {
        throw bad("\"data\" is missing in publish");
      }
      allowed(Action.PUBLISH, channel);
      return publishEncoded(channel, data.toString())
          .thenApply(
              p -> {
                ObjectNode r = JSON.createObjectNode();
                r.put("channel", channel);
                r.put("epoch", p.position().epoch());
                r.put("offset", p.offset());
                return r;
              });
    }

    private CompletionStage<?> onPresence(JsonNode msg) {
      String channel = channelOf(msg);
      allowed(Action.SUBSCRIBE, channel);
      ObjectNode data = JSON.createObjectNode();
      data.put("channel", channel);
      var members = data.putArray("members");
      for (PresenceMember m : presence.members(channel)) {
        ObjectNode o = members.addObject();
        o.put("user", m.user());
        o.put("connections", m.connections());
      }
      return CompletableFuture.completedFuture(data);
    }

    private CompletionStage<?> onClientRequest(JsonNode msg) {
      if (onRequest == null) {
        throw new ReplyException(ReplyException.INTERNAL, "this server answers no requests");
      }
      JsonNode data = msg.get("data");
      Object decoded = data == null ? null : JSON.treeToValue(data, Object.class);
      try {
        CompletionStage<Object> answer = onRequest.onRequest(session, decoded);
        if (answer == null) {
          throw new ReplyException(ReplyException.INTERNAL, "the request handler returned null");
        }
        return answer;
      } catch (ReplyException e) {
        throw e;
      } catch (Exception e) {
        throw new ReplyException(
            ReplyException.INTERNAL, "the request handler failed: " + e.getMessage(), e);
      }
    }
  }

  private static final class WsSink implements Sink {
    final WsSession<Object> session;
    final boolean presence; // gets join and leave envelopes

    // Set right after the sink is made, before the connection's next message can see it (one
    // connection's messages are handled one at a time).
    @SuppressWarnings("NullAway.Init")
    volatile CompletionStage<Recovery> answer;

    volatile @Nullable String epoch;

    volatile long offset;

    WsSink(WsSession<Object> session, boolean presence) {
      this.session = session;
      this.presence = presence;
    }

    @Override
    public void pub(Publication p, Message wire) {
      epoch = p.position().epoch();
      offset = p.offset();
      session.sendMessage(wire);
    }

    @Override
    public void resync(String channel, StreamPosition top, Recovery.Reason reason) {
      epoch = top.epoch();
      offset = top.offset();
      session.sendMessage(Message.text(resyncJson(channel, top, reason, "resync")));
    }

    ObjectNode reached(String channel) {
      ObjectNode data = JSON.createObjectNode();
      data.put("channel", channel);
      data.put("epoch", epoch);
      data.put("offset", offset);
      data.put("recovered", false);
      return data;
    }
  }

  private static String resyncJson(
      String channel, StreamPosition top, Recovery.Reason reason, @Nullable String type) {
    ObjectNode n = JSON.createObjectNode();
    if (type != null) {
      n.put("type", type);
    }
    n.put("channel", channel);
    n.put("epoch", top.epoch());
    n.put("offset", top.offset());
    n.put("reason", reason.wireName());
    return n.toString();
  }

  private static String shorten(Object value) {
    String s = String.valueOf(value);
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }

  // ---------------------------------------------------------------------------------------------
  // SSE

  /**
   * An SSE handler streaming one channel, chosen from the request by {@code channelOf}: each
   * publication is an event whose id is its position ({@code <epoch>-<offset>}) and whose data is
   * the publication's data. {@code Last-Event-ID} resumes; a position that cannot be recovered gets
   * one {@code resync} event, then live events.
   *
   * @throws io.servicekit.Rejection (at accept) 400 for a bad channel name or position, 403 when
   *     the policy refuses
   */
  public SseHandler<Object> sseHandler(Function<Request, String> channelOf) {
    Objects.requireNonNull(channelOf, "channelOf");
    return request -> {
      String channel = channelOf.apply(request);
      try {
        ChannelHistory.checkChannel(channel);
      } catch (IllegalArgumentException e) {
        throw new io.servicekit.Rejection(400, e.getMessage());
      }
      StreamPosition since = null;
      Optional<String> last = request.header("Last-Event-ID");
      if (last.isPresent() && !last.get().isEmpty()) {
        try {
          since = StreamPosition.parse(last.get());
        } catch (IllegalArgumentException e) {
          throw new io.servicekit.Rejection(400, "Last-Event-ID: " + e.getMessage());
        }
      }
      String user = identity == null ? null : identity.apply(request);
      if (!policy.allows(request, user, Action.SUBSCRIBE, channel)) {
        throw new io.servicekit.Rejection(403, "subscribe on \"" + channel + "\" refused");
      }
      StreamPosition from = since;
      return SseListener.of(
          "ChannelSse",
          io.servicekit.JsonCodec.INSTANCE,
          session -> {
            SseSink sink = new SseSink(session);
            subscribe(
                channel,
                sink,
                from,
                r -> {
                  if (r instanceof Recovery.Resync rs) {
                    sink.resync(channel, rs.top(), rs.reason());
                  }
                });
            session.whenClosed(end -> unsubscribe(channel, sink));
          });
    };
  }

  private static final class SseSink implements Sink {
    final SseSession<Object> session;

    SseSink(SseSession<Object> session) {
      this.session = session;
    }

    @Override
    public void pub(Publication p, Message wire) {
      session.send(SseEvent.of(null, p.position().toString(), 0, p.data()));
    }

    @Override
    public void resync(String channel, StreamPosition top, Recovery.Reason reason) {
      session.send(
          SseEvent.of("resync", top.toString(), 0, resyncJson(channel, top, reason, null)));
    }
  }
}
