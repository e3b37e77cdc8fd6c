package io.servicekit.client;

import io.servicekit.CloseStatus;
import io.servicekit.JsonCodec;
import io.servicekit.Scheduler;
import io.servicekit.channel.ChannelHistory;
import io.servicekit.channel.PresenceMember;
import io.servicekit.channel.Publication;
import io.servicekit.channel.Recovery;
import io.servicekit.channel.ReplyException;
import io.servicekit.channel.StreamPosition;
import io.servicekit.internal.Check;
import io.servicekit.internal.PendingReplies;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * A client of a ServiceKit channel endpoint ({@code Channels}, docs/channels.md): subscriptions
 * that survive reconnects without losing or repeating a publication, acknowledged publishes,
 * presence, and requests answered by the other side. It is built on a {@link WsClient} with the
 * JSON codec, which does the connecting, reconnecting, queueing and heartbeats.
 *
 * <ul>
 *   <li>{@link #subscribe} delivers every publication of a channel to its {@link Subscriber}, in
 *       order, and keeps the last position seen ({@link #position}). After every reconnect each
 *       channel is subscribed again with {@code since} = that position, so the server sends exactly
 *       what was missed, or a resync ({@link Subscriber#onResync}) when its history no longer has
 *       it. A publication that does not follow the last position (offset last + 1, same epoch) is
 *       dropped when it is at or before it (a repeat) and, when it leaves a gap, makes the client
 *       subscribe again from the last position.
 *   <li>{@link #publish}, {@link #presence} and {@link #request} are requests: each gets an id and
 *       completes with its {@code reply}, fails with a {@link ReplyException} (the server's code,
 *       or {@code timeout} after {@link Builder#requestTimeout}, or {@code limit} past {@link
 *       Builder#maxPendingRequests}), or fails at once with a {@link ConnectionClosedException}
 *       when the connection closes. They are never resent after a reconnect.
 *   <li>{@link #onRequest} answers the server's {@code request} envelopes.
 * </ul>
 *
 * <p>Subscriber callbacks run one at a time, in order, on the {@link WsClient}'s callback thread; a
 * slow subscriber slows reading (TCP backpressure).
 */
public final class ChannelClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChannelClient.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Receives the events of one subscribed channel. */
  public interface Subscriber {
    /** The next publication of the channel (offsets consecutive, never repeated). */
    void onPublication(Publication publication);

    /**
     * The missed publications cannot be recovered ({@code reason}): the client's state of the
     * channel is stale, and publications continue after {@code top}. Reported once per resync.
     */
    default void onResync(String channel, Recovery.Reason reason, StreamPosition top) {}

    /** A user's first connection entered the channel (with {@link SubscribeOptions#presence}). */
    default void onJoin(String channel, String user, int connections) {}

    /** A user's last connection left the channel (with {@link SubscribeOptions#presence}). */
    default void onLeave(String channel, String user) {}
  }

  /** Answers the server's requests. */
  @FunctionalInterface
  public interface RequestHandler {
    /**
     * Answers one request.
     *
     * @param data the request's {@code data} (plain Java values: {@code Map}, {@code List}, ...)
     * @return the reply's {@code data} (encoded with Jackson), or a {@link CompletionStage} of it;
     *     throw (or fail the stage with) a {@link ReplyException} to answer with its code, anything
     *     else answers {@code internal}
     * @throws Exception to answer with an error
     */
    @Nullable Object handle(@Nullable Object data) throws Exception;
  }

  /**
   * How to subscribe.
   *
   * @param presence whether the connection also gets the channel's {@code join}/{@code leave}
   * @param since the position to recover from (the last one seen, e.g. kept across restarts of the
   *     program), or null to start live from the top
   */
  public record SubscribeOptions(boolean presence, @Nullable StreamPosition since) {
    /** No presence events, live from the top. */
    public static SubscribeOptions defaults() {
      return new SubscribeOptions(false, null);
    }

    /** A copy with {@code presence}. */
    public SubscribeOptions withPresence(boolean presence) {
      return new SubscribeOptions(presence, since);
    }

    /** A copy that recovers from {@code since}. */
    public SubscribeOptions withSince(StreamPosition since) {
      return new SubscribeOptions(presence, Objects.requireNonNull(since, "since"));
    }
  }

  /**
   * The answer to the first subscribe of a channel.
   *
   * @param channel the channel
   * @param position the channel's position when the subscription started (its top)
   * @param recovered whether the publications after {@link SubscribeOptions#since} were recovered
   *     (false without a {@code since}, and after a resync)
   */
  public record Subscribed(String channel, StreamPosition position, boolean recovered) {}

  /** One subscribed channel; every field but the final ones is guarded by {@code lock}. */
  private static final class Sub {
    final String channel;
    final Subscriber subscriber;
    final boolean presence;
    final CompletableFuture<Subscribed> first = new CompletableFuture<>();
    @Nullable StreamPosition last;
    boolean inFlight; // a subscribe is waiting for its reply on the current connection

    Sub(String channel, Subscriber subscriber, SubscribeOptions options) {
      this.channel = channel;
      this.subscriber = subscriber;
      this.presence = options.presence();
      this.last = options.since();
    }
  }

  private final WsClient<Object, Object> ws;
  private final PendingReplies<Object> pending;
  private final Duration requestTimeout;
  private final Scheduler scheduler;
  private final WsClient.Listener<Object> listener;
  private volatile @Nullable RequestHandler handler;

  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Sub> subs = new LinkedHashMap<>(); // guarded by lock
  private boolean open; // guarded by lock
  private boolean ended; // guarded by lock

  private final AtomicLong repeats = new AtomicLong();
  private final AtomicLong gaps = new AtomicLong();

  private ChannelClient(Builder b) {
    this.requestTimeout = b.requestTimeout;
    this.scheduler = b.scheduler;
    this.listener = b.listener;
    this.handler = b.handler;
    this.pending = new PendingReplies<>(b.scheduler, b.maxPendingRequests);
    this.ws = b.ws.scheduler(b.scheduler).listener(new Events()).build();
    ws.closed().whenComplete((status, error) -> ended(status != null ? status : CLOSED));
  }

  /** The client heartbeat of {@link #builder(URI)}: a ping this often while open. */
  public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(25);

  /** The client heartbeat of {@link #builder(URI)}: how long a ping may wait for its pong. */
  public static final Duration DEFAULT_PONG_TIMEOUT = Duration.ofSeconds(10);

  /**
   * A builder for a client of the channel endpoint at {@code uri} ({@code ws:} or {@code wss:}),
   * with the client heartbeat on ({@link #DEFAULT_PING_INTERVAL}, {@link #DEFAULT_PONG_TIMEOUT}):
   * recovery starts with noticing that a connection is dead, and neither a silent network nor the
   * JDK WebSocket (which can lose a server's end of input, see docs/clients.md) always tells. Use
   * {@link #builder(WsClient.Builder)} for other heartbeat settings.
   */
  public static Builder builder(URI uri) {
    return new Builder(
        WsClient.builder(uri, JsonCodec.INSTANCE)
            .pingInterval(DEFAULT_PING_INTERVAL)
            .pongTimeout(DEFAULT_PONG_TIMEOUT));
  }

  /**
   * A builder on a configured {@link WsClient.Builder} (headers, reconnect policy, heartbeat, TLS,
   * ...). It must use {@link JsonCodec}; its listener is replaced (give yours to {@link
   * Builder#listener}), and so is its scheduler when {@link Builder#scheduler} is called.
   */
  public static Builder builder(WsClient.Builder<Object, Object> ws) {
    return new Builder(ws);
  }

  /** The underlying WebSocket client (state, {@link WsClient#closed()}, ...). */
  public WsClient<Object, Object> wsClient() {
    return ws;
  }

  /** Starts connecting; completes when the first connection is open (see {@link WsClient}). */
  public CompletableFuture<Void> connect() {
    return ws.connect();
  }

  /**
   * Ends the client: every unanswered request fails at once with a {@link
   * ConnectionClosedException}, subscriptions end, and the connection is closed (see {@link
   * WsClient#close()}). Idempotent.
   */
  @Override
  public void close() {
    ws.close();
    ended(CLOSED);
  }

  /** Sets the handler of the server's requests (without one they are answered {@code internal}). */
  public void onRequest(RequestHandler handler) {
    this.handler = Objects.requireNonNull(handler, "handler");
  }

  /** {@link #subscribe(String, Subscriber, SubscribeOptions)} with the defaults. */
  public CompletableFuture<Subscribed> subscribe(String channel, Subscriber subscriber) {
    return subscribe(channel, subscriber, SubscribeOptions.defaults());
  }

  /**
   * Subscribes to {@code channel}: sent now if connected, else when the connection opens; from then
   * on, after every reconnect, subscribed again from the last position seen.
   *
   * @return completes with the server's first answer; fails with a {@link ReplyException} if the
   *     server refuses (e.g. {@code forbidden}; the subscription is then dropped), or an {@link
   *     IllegalStateException} if the client ends or {@link #unsubscribe} is called first
   * @throws IllegalArgumentException if the channel name breaks the rules of {@link
   *     ChannelHistory#checkChannel}
   * @throws IllegalStateException if the channel is already subscribed, or the client is closed
   */
  public CompletableFuture<Subscribed> subscribe(
      String channel, Subscriber subscriber, SubscribeOptions options) {
    ChannelHistory.checkChannel(channel);
    Objects.requireNonNull(subscriber, "subscriber");
    Objects.requireNonNull(options, "options");
    Sub sub = new Sub(channel, subscriber, options);
    boolean send;
    lock.lock();
    try {
      if (ended || ws.state() == WsClient.State.CLOSED) {
        throw new IllegalStateException("ChannelClient for " + ws.uri() + " is closed");
      }
      if (subs.containsKey(channel)) {
        throw new IllegalStateException("channel \"" + channel + "\" is already subscribed");
      }
      subs.put(channel, sub);
      send = open;
      if (send) {
        sub.inFlight = true;
      }
    } finally {
      lock.unlock();
    }
    if (send) {
      sendSubscribe(sub, options.since());
    }
    return sub.first;
  }

  /**
   * Ends the subscription of {@code channel} at once (later publications are ignored) and tells the
   * server if connected.
   *
   * @return completes with the server's reply, or at once when not connected or not subscribed
   */
  public CompletableFuture<Void> unsubscribe(String channel) {
    ChannelHistory.checkChannel(channel);
    Sub sub;
    boolean send;
    lock.lock();
    try {
      sub = subs.remove(channel);
      send = open && sub != null;
    } finally {
      lock.unlock();
    }
    if (sub == null) {
      return CompletableFuture.completedFuture(null);
    }
    sub.first.completeExceptionally(
        new IllegalStateException(
            "unsubscribed from \"" + channel + "\" before the server answered"));
    if (!send) {
      return CompletableFuture.completedFuture(null);
    }
    return derive(call(envelope("unsubscribe", channel), requestTimeout), reply -> null);
  }

  /**
   * The last position seen on {@code channel}: the newest publication delivered, the top the server
   * gave on subscribing or resyncing, or the {@code since} given; empty when not subscribed or not
   * known yet.
   */
  public Optional<StreamPosition> position(String channel) {
    lock.lock();
    try {
      Sub sub = subs.get(channel);
      return sub == null ? Optional.empty() : Optional.ofNullable(sub.last);
    } finally {
      lock.unlock();
    }
  }

  /** The channels subscribed now, in the order they were subscribed. */
  public List<String> channels() {
    lock.lock();
    try {
      return List.copyOf(subs.keySet());
    } finally {
      lock.unlock();
    }
  }

  /**
   * Publishes {@code data} (encoded with Jackson) on {@code channel}.
   *
   * @return the position the publication got; fails as a request does (see the class comment)
   */
  public CompletableFuture<StreamPosition> publish(String channel, @Nullable Object data) {
    ChannelHistory.checkChannel(channel);
    Map<String, @Nullable Object> env = envelope("publish", channel);
    env.put("data", data);
    return derive(call(env, requestTimeout), reply -> positionOf(map(reply, "publish reply")));
  }

  /**
   * Who is in {@code channel} now, sorted by user; a member the server describes badly (no user,
   * connections not a whole number from 1 to 2^31-1) fails the future naming the value.
   */
  public CompletableFuture<List<PresenceMember>> presence(String channel) {
    ChannelHistory.checkChannel(channel);
    return derive(
        call(envelope("presence", channel), requestTimeout),
        reply -> {
          Object members = map(reply, "presence reply").get("members");
          if (!(members instanceof List<?> list)) {
            throw new IllegalArgumentException(
                "presence reply: members must be a list, was " + members);
          }
          List<PresenceMember> out = new ArrayList<>(list.size());
          for (Object m : list) {
            Map<?, ?> member = map(m, "presence member");
            long connections = number(member, "connections", "presence member");
            if (connections > Integer.MAX_VALUE) {
              throw new IllegalArgumentException(
                  "presence member: connections must be at most 2^31-1, was " + connections);
            }
            out.add(new PresenceMember(string(member, "user"), (int) connections));
          }
          return List.copyOf(out);
        });
  }

  /** {@link #request(Object, Duration)} with {@link Builder#requestTimeout}. */
  public CompletableFuture<@Nullable Object> request(@Nullable Object data) {
    return request(data, requestTimeout);
  }

  /**
   * Sends {@code {"type":"request","id":n,"data":data}} to the server's request handler.
   *
   * @return the reply's {@code data} (plain Java values, null when absent); fails with a {@link
   *     ReplyException} ({@code timeout} after {@code timeout}, {@code limit}, the server's code)
   *     or a {@link ConnectionClosedException}; cancelling it forgets the request (the server is
   *     not told; a late reply is dropped)
   */
  public CompletableFuture<@Nullable Object> request(@Nullable Object data, Duration timeout) {
    Check.positive("timeout", timeout);
    Map<String, @Nullable Object> env = new LinkedHashMap<>();
    env.put("type", "request");
    env.put("data", data);
    return derive(call(env, timeout), ChannelClient::unwrapNull);
  }

  /** Replies that came for requests no longer waiting (after a timeout, cancel or close). */
  public long lateReplies() {
    return pending.late();
  }

  /** Publications dropped because they repeated one already delivered. */
  public long repeatsDropped() {
    return repeats.get();
  }

  /** Gaps seen in a channel's offsets (each led to a new subscribe from the last position). */
  public long gapsSeen() {
    return gaps.get();
  }

  // ---- requests ----

  private static final Object NULL = new Object();
  private static final Duration RETRY = Duration.ofSeconds(1);
  private static final CloseStatus CLOSED = CloseStatus.of(CloseStatus.NORMAL, "client closed");

  private static @Nullable Object unwrapNull(Object value) {
    return value == NULL ? null : value;
  }

  /**
   * {@code source.thenApply(fn)} whose cancellation cancels {@code source} too (so the request is
   * forgotten at once and its limit slot freed).
   */
  private static <T extends @Nullable Object> CompletableFuture<T> derive(
      CompletableFuture<Object> source, Function<Object, T> fn) {
    CompletableFuture<T> out = source.thenApply(fn);
    out.whenComplete(
        (v, e) -> {
          if (out.isCancelled()) {
            source.cancel(false);
          }
        });
    return out;
  }

  private static Map<String, @Nullable Object> envelope(String type, String channel) {
    Map<String, @Nullable Object> env = new LinkedHashMap<>();
    env.put("type", type);
    env.put("channel", channel);
    return env;
  }

  /** Sends {@code env} with a new id; the future completes with its reply. */
  private CompletableFuture<Object> call(Map<String, @Nullable Object> env, Duration timeout) {
    return call(env, timeout, null);
  }

  /**
   * Sends {@code env} with a new id. {@code onReply} is attached before the request is sent, so it
   * runs where the reply completes the future: on the callback thread, before the next message.
   */
  private CompletableFuture<Object> call(
      Map<String, @Nullable Object> env,
      Duration timeout,
      @Nullable BiConsumer<@Nullable Object, @Nullable Throwable> onReply) {
    PendingReplies.Pending<Object> p;
    try {
      p = pending.open(timeout);
    } catch (ReplyException limit) {
      CompletableFuture<Object> failed = CompletableFuture.failedFuture(limit);
      if (onReply != null) {
        failed.whenComplete(onReply);
      }
      return failed;
    }
    if (onReply != null) {
      p.future().whenComplete(onReply);
    }
    if (p.future().isDone()) {
      return p.future();
    }
    Map<String, @Nullable Object> withId = new LinkedHashMap<>();
    withId.put("type", env.get("type"));
    withId.put("id", p.id());
    env.forEach(withId::putIfAbsent);
    try {
      ws.send(withId);
    } catch (RuntimeException e) {
      p.future().completeExceptionally(e);
    }
    return p.future();
  }

  private void sendSubscribe(Sub sub, @Nullable StreamPosition since) {
    Map<String, @Nullable Object> env = envelope("subscribe", sub.channel);
    if (since != null) {
      Map<String, Object> pos = new LinkedHashMap<>();
      pos.put("epoch", since.epoch());
      pos.put("offset", since.offset());
      env.put("since", pos);
    }
    if (sub.presence) {
      env.put("presence", true);
    }
    // the reply is handled where it completes the future, on the callback thread, before the next
    // message is read: so before any live pub that follows it
    call(env, requestTimeout, (reply, error) -> subscribed(sub, reply, error));
  }

  private void subscribed(Sub sub, @Nullable Object reply, @Nullable Throwable error) {
    Throwable cause =
        error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error;
    if (cause != null) {
      subscribeFailed(sub, cause);
      return;
    }
    Map<?, ?> r;
    StreamPosition top;
    try {
      r = map(reply, "subscribe reply");
      top = positionOf(r);
    } catch (RuntimeException e) {
      subscribeFailed(sub, e);
      return;
    }
    Object resync = r.get("resync");
    Recovery.Reason reason = null;
    boolean gap = false;
    lock.lock();
    try {
      if (subs.get(sub.channel) != sub) {
        return; // unsubscribed meanwhile
      }
      sub.inFlight = false;
      if (resync != null) {
        reason = reason(resync);
        sub.last = top;
      } else if (sub.last == null) {
        sub.last = top;
      } else if (!sub.last.equals(top)) {
        // recovered, but not up to the top the server names (or a repeated subscribe answered
        // with a position the client has not reached): recover the rest
        gap = true;
        sub.inFlight = true;
      }
    } finally {
      lock.unlock();
    }
    if (reason != null) {
      Recovery.Reason why = reason;
      safely(() -> sub.subscriber.onResync(sub.channel, why, top));
    }
    boolean recovered = Boolean.TRUE.equals(r.get("recovered"));
    sub.first.complete(new Subscribed(sub.channel, top, recovered && reason == null));
    if (gap) {
      gaps.incrementAndGet();
      resubscribe(sub);
    }
  }

  private void subscribeFailed(Sub sub, Throwable cause) {
    if (cause instanceof ConnectionClosedException) {
      return; // subscribed again when the next connection opens
    }
    boolean transientFailure =
        cause instanceof ReplyException r
            && (r.code().equals(ReplyException.TIMEOUT)
                || r.code().equals(ReplyException.UNAVAILABLE));
    boolean current;
    boolean retry = false;
    lock.lock();
    try {
      current = subs.get(sub.channel) == sub;
      if (current && sub.first.isDone() && transientFailure) {
        retry = true; // a subscribe after a reconnect or a gap: keep the position, try again
      } else {
        sub.inFlight = false;
        if (current) {
          subs.remove(sub.channel);
        }
      }
    } finally {
      lock.unlock();
    }
    if (retry) {
      LOG.debug("subscribe of channel {} failed ({}); retrying in {}", sub.channel, cause, RETRY);
      scheduler.schedule(() -> retry(sub), RETRY);
      return;
    }
    if (!current) {
      return;
    }
    if (!sub.first.completeExceptionally(cause)) {
      // a subscribe after a reconnect or a gap was refused: the subscription has ended
      LOG.warn("subscription of channel {} ended: {}", sub.channel, cause.toString());
      safely(
          () ->
              listener.onError(
                  new IllegalStateException(
                      "subscription of channel \"" + sub.channel + "\" ended: " + cause, cause)));
    }
  }

  private void retry(Sub sub) {
    boolean go;
    lock.lock();
    try {
      go = open && subs.get(sub.channel) == sub && sub.inFlight;
    } finally {
      lock.unlock();
    }
    if (go) {
      resubscribe(sub);
    }
  }

  /** Recovers a gap: unsubscribes and subscribes again from the last position. */
  private void resubscribe(Sub sub) {
    StreamPosition since;
    lock.lock();
    try {
      since = sub.last;
    } finally {
      lock.unlock();
    }
    call(envelope("unsubscribe", sub.channel), requestTimeout);
    sendSubscribe(sub, since);
  }

  // ---- inbound ----

  private void onMessage(Object message) {
    if (!(message instanceof Map<?, ?> m) || !(m.get("type") instanceof String type)) {
      listener.onMessage(message);
      return;
    }
    try {
      switch (type) {
        case "pub" -> pub(m);
        case "join", "leave" -> presenceEvent(type, m);
        case "reply" -> reply(m);
        case "request" -> serverRequest(m);
        default -> listener.onMessage(message);
      }
    } catch (IllegalArgumentException bad) {
      listener.onError(bad);
    }
  }

  private void pub(Map<?, ?> m) {
    String channel = string(m, "channel");
    StreamPosition position = positionOf(m);
    Object data = m.get("data");
    String encoded;
    try {
      encoded = JSON.writeValueAsString(data);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("pub of channel " + channel + ": data: " + e, e);
    }
    Publication publication = new Publication(channel, position, encoded);
    Sub sub;
    boolean deliver = false;
    boolean gap = false;
    lock.lock();
    try {
      sub = subs.get(channel);
      if (sub == null) {
        return; // not subscribed (any more)
      }
      StreamPosition last = sub.last;
      if (last == null) {
        deliver = true; // nothing known yet (the server sends no pub before its reply)
      } else if (last.epoch().equals(position.epoch()) && position.offset() <= last.offset()) {
        repeats.incrementAndGet();
      } else if (last.epoch().equals(position.epoch()) && position.offset() == last.offset() + 1) {
        deliver = true;
      } else if (!sub.inFlight && open) {
        // a gap (or another epoch): recover from the last position; while a subscribe is in
        // flight its reply settles the position instead
        gap = true;
        sub.inFlight = true;
      }
      if (deliver) {
        sub.last = position;
      }
    } finally {
      lock.unlock();
    }
    if (deliver) {
      safely(() -> sub.subscriber.onPublication(publication));
    } else if (gap) {
      gaps.incrementAndGet();
      LOG.debug("channel {}: {} does not follow the last position; recovering", channel, position);
      resubscribe(sub);
    }
  }

  private void presenceEvent(String type, Map<?, ?> m) {
    String channel = string(m, "channel");
    String user = string(m, "user");
    Sub sub;
    lock.lock();
    try {
      sub = subs.get(channel);
    } finally {
      lock.unlock();
    }
    if (sub == null) {
      return;
    }
    if (type.equals("join")) {
      int connections = (int) number(m, "connections", "join");
      safely(() -> sub.subscriber.onJoin(channel, user, connections));
    } else {
      safely(() -> sub.subscriber.onLeave(channel, user));
    }
  }

  private void reply(Map<?, ?> m) {
    long id = number(m, "id", "reply");
    Object error = m.get("error");
    if (error != null || m.get("code") != null) {
      String code = m.get("code") instanceof String c ? c : ReplyException.INTERNAL;
      String text = error instanceof String s ? s : String.valueOf(error);
      ReplyException e;
      try {
        e = new ReplyException(code, text);
      } catch (IllegalArgumentException badCode) {
        e =
            new ReplyException(
                ReplyException.INTERNAL, text + " (code " + badCode.getMessage() + ")");
      }
      pending.fail(id, e);
    } else {
      Object data = m.get("data");
      pending.complete(id, data == null ? NULL : data);
    }
  }

  private void serverRequest(Map<?, ?> m) {
    long id = number(m, "id", "request");
    Object data = m.get("data");
    RequestHandler h = handler;
    if (h == null) {
      answer(
          id,
          null,
          new ReplyException(ReplyException.INTERNAL, "this client has no request handler"));
      return;
    }
    Object result;
    try {
      result = h.handle(data);
    } catch (Exception e) {
      answer(id, null, e);
      return;
    }
    if (result instanceof CompletionStage<?> stage) {
      stage.whenComplete(
          (value, failure) ->
              answer(
                  id,
                  value,
                  failure instanceof CompletionException c && c.getCause() != null
                      ? c.getCause()
                      : failure));
    } else {
      answer(id, result, null);
    }
  }

  private void answer(long id, @Nullable Object data, @Nullable Throwable failure) {
    Map<String, @Nullable Object> env = new LinkedHashMap<>();
    env.put("type", "reply");
    env.put("id", id);
    if (failure == null) {
      env.put("data", data);
    } else if (failure instanceof ReplyException r) {
      env.put("error", String.valueOf(r.getMessage()));
      env.put("code", r.code());
    } else {
      LOG.warn("request handler failed for request {}", id, failure);
      env.put("error", String.valueOf(failure));
      env.put("code", ReplyException.INTERNAL);
    }
    try {
      ws.send(env);
    } catch (RuntimeException e) {
      LOG.debug("reply {} not sent: {}", id, e.toString()); // closed, or the queue is full
    }
  }

  // ---- connection events ----

  private void opened() {
    List<Sub> again = new ArrayList<>();
    lock.lock();
    try {
      open = true;
      for (Sub sub : subs.values()) {
        if (!sub.inFlight) {
          sub.inFlight = true;
          again.add(sub);
        }
      }
    } finally {
      lock.unlock();
    }
    for (Sub sub : again) {
      StreamPosition since;
      lock.lock();
      try {
        since = sub.last;
      } finally {
        lock.unlock();
      }
      sendSubscribe(sub, since);
    }
  }

  private void lost(CloseStatus status) {
    lock.lock();
    try {
      open = false;
      for (Sub sub : subs.values()) {
        sub.inFlight = false;
      }
    } finally {
      lock.unlock();
    }
    pending.failAll(new ConnectionClosedException(status));
  }

  private void ended(CloseStatus status) {
    List<Sub> all;
    lock.lock();
    try {
      open = false;
      ended = true;
      all = new ArrayList<>(subs.values());
    } finally {
      lock.unlock();
    }
    pending.close(new ConnectionClosedException(status));
    IllegalStateException gone =
        new IllegalStateException("ChannelClient for " + ws.uri() + " ended (" + status + ")");
    all.forEach(s -> s.first.completeExceptionally(gone));
  }

  /** The client's listener on its WsClient: channel envelopes here, the rest to the user's. */
  private final class Events implements WsClient.Listener<Object> {
    @Override
    public void onOpen() {
      opened();
      listener.onOpen();
    }

    @Override
    public void onMessage(Object message) {
      ChannelClient.this.onMessage(message);
    }

    @Override
    public void onPing(long pingId) {
      listener.onPing(pingId);
    }

    @Override
    public void onPong(long pingId) {
      listener.onPong(pingId);
    }

    @Override
    public void onError(Throwable error) {
      listener.onError(error);
    }

    @Override
    public void onClose(CloseStatus status) {
      lost(status);
      listener.onClose(status);
    }

    @Override
    public void onReconnecting(int attempt, Duration delay) {
      listener.onReconnecting(attempt, delay);
    }
  }

  // ---- parsing ----

  private static void safely(Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      LOG.warn("channel callback failed", e);
    }
  }

  private static Map<?, ?> map(@Nullable Object value, String what) {
    if (value instanceof Map<?, ?> m) {
      return m;
    }
    throw new IllegalArgumentException(what + " must be a JSON object, was " + value);
  }

  private static String string(Map<?, ?> m, String field) {
    if (m.get(field) instanceof String s) {
      return s;
    }
    throw new IllegalArgumentException(
        "\"" + m.get("type") + "\" envelope: " + field + " must be a string, was " + m.get(field));
  }

  private static long number(Map<?, ?> m, String field, String what) {
    Object v = m.get(field);
    if ((v instanceof Integer || v instanceof Long) && ((Number) v).longValue() >= 0) {
      return ((Number) v).longValue();
    }
    throw new IllegalArgumentException(what + ": " + field + " must be an integer >= 0, was " + v);
  }

  /** The {@code epoch} and {@code offset} fields of {@code m}. */
  private static StreamPosition positionOf(Map<?, ?> m) {
    String what = String.valueOf(m.get("type") == null ? "reply" : m.get("type"));
    return new StreamPosition(string(m, "epoch"), number(m, "offset", what));
  }

  private static Recovery.Reason reason(Object wire) {
    for (Recovery.Reason r : Recovery.Reason.values()) {
      if (r.wireName().equals(wire)) {
        return r;
      }
    }
    // an unknown reason still means "cannot recover": the client starts again from the top
    LOG.warn("unknown resync reason {}; reported as epoch_changed", wire);
    return Recovery.Reason.EPOCH_CHANGED;
  }

  /**
   * Configures a {@link ChannelClient}. Required: the URI (or the {@link WsClient.Builder}) given
   * to {@link ChannelClient#builder}.
   */
  public static final class Builder {
    private final WsClient.Builder<Object, Object> ws;
    private Duration requestTimeout = Duration.ofSeconds(10);
    private int maxPendingRequests = 1000;
    private Scheduler scheduler = Scheduler.system();
    private WsClient.Listener<Object> listener = new WsClient.Listener<>() {};
    private @Nullable RequestHandler handler;

    private Builder(WsClient.Builder<Object, Object> ws) {
      this.ws = Objects.requireNonNull(ws, "ws");
    }

    /**
     * Adds a handshake header (e.g. {@code Authorization}), see {@link WsClient.Builder#header}.
     */
    public Builder header(String name, String value) {
      ws.header(name, value);
      return this;
    }

    /** Reconnect behaviour, see {@link WsClient.Builder#reconnect}. */
    public Builder reconnect(ReconnectPolicy policy) {
      ws.reconnect(policy);
      return this;
    }

    /** How long a request waits for its reply by default (default 10 s). */
    public Builder requestTimeout(Duration v) {
      requestTimeout = Check.positive("requestTimeout", v);
      return this;
    }

    /**
     * Most requests unanswered at once (publish, presence, request, subscribe; default 1000); one
     * more fails at once with {@link ReplyException} code {@code limit}.
     */
    public Builder maxPendingRequests(int v) {
      maxPendingRequests = Check.positive("maxPendingRequests", v);
      return this;
    }

    /** Clock of request timeouts, backoff and heartbeats (default {@link Scheduler#system()}). */
    public Builder scheduler(Scheduler v) {
      scheduler = Objects.requireNonNull(v, "scheduler");
      return this;
    }

    /**
     * Receives the connection's events ({@code onOpen}, {@code onClose}, {@code onError}, ...) and
     * the messages that are not channel envelopes.
     */
    public Builder listener(WsClient.Listener<Object> v) {
      listener = Objects.requireNonNull(v, "listener");
      return this;
    }

    /** Answers the server's requests, see {@link ChannelClient#onRequest}. */
    public Builder onRequest(RequestHandler v) {
      handler = Objects.requireNonNull(v, "handler");
      return this;
    }

    public ChannelClient build() {
      return new ChannelClient(this);
    }
  }

  @Override
  public String toString() {
    return "ChannelClient[" + ws.uri() + ", " + ws.state().name().toLowerCase(Locale.ROOT) + "]";
  }
}
