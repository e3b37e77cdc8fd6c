package io.servicekit.channel;

import io.servicekit.Scheduler;
import io.servicekit.broker.Broker;
import io.servicekit.broker.BrokerGap;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Who is connected to each channel, on one node ({@link #local()}) or cluster-wide through a {@link
 * Broker} ({@link #builder()}): per channel, each user with the number of its connections summed
 * over every node, and {@link PresenceListener#onJoin join} / {@link PresenceListener#onLeave
 * leave} events when a user's first connection enters a channel or its last one leaves.
 *
 * <p>Each node announces its own changes on the topic {@code <topicPrefix>.presence} and, every
 * heartbeat, a full snapshot of its own entries, which replaces what the other nodes hold for it
 * (so a lost announcement heals within one heartbeat). A node not heard from within the node TTL is
 * declared dead and its entries leave; {@link #close()} makes them leave at once. Memory is
 * bounded: members per channel and channels, cluster-wide; a local join over a bound is refused, a
 * remote entry over a bound is dropped and counted. See docs/channels.md, "Presence".
 *
 * <p>Thread-safe. Events are delivered one at a time, in the order the changes took effect, on the
 * thread that made a change (a caller of {@link #join}, a broker thread, a scheduler thread).
 */
public final class Presence implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Presence.class);

  /** Longest accepted user, in characters. */
  public static final int MAX_USER_LENGTH = 200;

  /** Most other nodes one node keeps entries for; messages from further nodes are dropped. */
  public static final int MAX_NODES = 1000;

  /** Smallest {@link Broker#maxPayloadBytes()} accepted: room for the largest single entry. */
  public static final int MIN_PAYLOAD_BYTES = 4096;

  /** Bytes kept free in a snapshot message for its trailer (node, part, snapshot number). */
  private static final int TRAILER_BYTES = 512;

  // Rough per-entry heap costs (64-bit JVM, compressed oops), measured by the bench module's
  // PresenceMemory: a local connection (its entry and the user's count), a member of the cluster
  // view, a remote node's entry, a channel.
  private static final int BYTES_PER_CONNECTION = 80;
  private static final int BYTES_PER_MEMBER = 40;
  private static final int BYTES_PER_REMOTE_ENTRY = 100;
  private static final int BYTES_PER_CHANNEL = 250;

  private static final JsonMapper MAPPER =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private final @Nullable Broker broker; // null: local
  private final @Nullable String topic; // null: local
  private final Duration heartbeat;
  private final long nodeTtlNanos;
  private final int maxMembers;
  private final int maxChannels;
  private final Scheduler scheduler;
  private final String nodeId;
  private final String quotedNodeId;

  private final ReentrantLock lock = new ReentrantLock();

  // Everything below is guarded by lock.
  /** This node's connections, per channel. */
  private final HashMap<String, LocalChannel> local = new HashMap<>();

  /** Cluster-wide: channel, user, connections summed over nodes (this one included). */
  private final HashMap<String, TreeMap<String, Integer>> view = new HashMap<>();

  private final HashMap<String, RemoteNode> remotes = new HashMap<>();

  /** Side effects (events, publishes) in the order the changes took effect; run by drain(). */
  private final ArrayDeque<Runnable> effects = new ArrayDeque<>();

  private boolean draining;
  private Registration[] listeners = new Registration[0];
  private int members;
  private int localConnections;
  private int localUsers;
  private int remoteEntries;
  private long expiredNodes;
  private long refusedJoins;
  private long droppedRemote;
  private long publishFailures; // also written by broker callbacks under lock
  private long snapshots;
  private boolean closed;
  private Scheduler.@Nullable Cancellable timer;
  private Broker.@Nullable Subscription subscription;
  private Broker.@Nullable Subscription gapSubscription;

  private static final class LocalChannel {
    final HashMap<String, String> connections = new HashMap<>(); // connection id -> user
    final HashMap<String, Integer> users = new HashMap<>(); // user -> connections on this node
  }

  private static final class RemoteNode {
    final HashMap<String, HashMap<String, Integer>> entries = new HashMap<>();
    long lastHeard;
    // A snapshot being received, part by part.
    long pendingSnapshot = -1;
    int nextPart;
    @Nullable HashMap<String, HashMap<String, Integer>> pending;

    RemoteNode(long now) {
      lastHeard = now;
    }
  }

  private static final class Registration {
    final PresenceListener listener;
    volatile boolean active = true;

    Registration(PresenceListener listener) {
      this.listener = listener;
    }
  }

  private Presence(Builder b) {
    this.broker = b.broker;
    this.topic = b.broker == null ? null : b.topicPrefix + ".presence";
    this.heartbeat = b.heartbeat;
    this.nodeTtlNanos = b.nodeTtl.toNanos();
    this.maxMembers = b.maxMembersPerChannel;
    this.maxChannels = b.maxChannels;
    this.scheduler = b.scheduler;
    this.nodeId = b.nodeId != null ? b.nodeId : UUID.randomUUID().toString();
    this.quotedNodeId = quote(nodeId);
  }

  private void start() {
    Broker b = broker;
    String t = topic;
    if (b == null || t == null) {
      return;
    }
    subscription = b.subscribe(t, this::onMessage);
    gapSubscription = b.onGap(this::onGap);
    lock.lock();
    try {
      publish(hello(null));
      timer = scheduler.schedule(this::tick, heartbeat);
    } finally {
      lock.unlock();
    }
    drain();
  }

  /** Presence for one node, without a broker: {@code builder().build()}. */
  public static Presence local() {
    return builder().build();
  }

  /** A builder with the defaults: no broker (one node), the limits as documented on each method. */
  public static Builder builder() {
    return new Builder();
  }

  /** This node's id, as the other nodes know it. */
  public String nodeId() {
    return nodeId;
  }

  /**
   * Records that connection {@code connectionId} of {@code user} entered {@code channel}. The first
   * connection of a user (cluster-wide) makes a join event. Joining again with the same connection
   * id changes nothing.
   *
   * @return true when the connection is in (also when it already was); false when a bound was
   *     reached (the channel has the most members, or there are the most channels) and nothing
   *     changed
   * @throws IllegalArgumentException if the channel ({@link ChannelHistory#checkChannel}), the user
   *     (1 to {@value #MAX_USER_LENGTH} characters, no control characters) or the connection id
   *     (non-empty) is invalid, or the connection already joined the channel as another user
   * @throws IllegalStateException if this presence is closed
   */
  public boolean join(String channel, String user, String connectionId) {
    ChannelHistory.checkChannel(channel);
    checkUser(user);
    checkConnectionId(connectionId);
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("presence is closed");
      }
      LocalChannel lc = local.get(channel);
      if (lc != null) {
        String existing = lc.connections.get(connectionId);
        if (existing != null) {
          if (existing.equals(user)) {
            return true;
          }
          throw new IllegalArgumentException(
              "connection "
                  + connectionId
                  + " already joined channel "
                  + channel
                  + " as user "
                  + existing
                  + ", not "
                  + user);
        }
      }
      if (!fits(channel, user)) {
        refusedJoins++;
        return false;
      }
      if (lc == null) {
        lc = new LocalChannel();
        local.put(channel, lc);
      }
      lc.connections.put(connectionId, user);
      Integer before = lc.users.get(user);
      int count = before == null ? 1 : before + 1;
      lc.users.put(user, count);
      if (before == null) {
        localUsers++;
      }
      localConnections++;
      adjust(channel, user, 1);
      if (broker != null) {
        publish(delta(channel, user, count));
      }
    } finally {
      lock.unlock();
    }
    drain();
    return true;
  }

  /**
   * Records that connection {@code connectionId} of {@code user} left {@code channel}; a user's
   * last connection (cluster-wide) leaving makes a leave event. Leaving a channel the connection is
   * not in, or leaving after {@link #close()}, changes nothing.
   *
   * @throws IllegalArgumentException if an argument is invalid (as for {@link #join}) or the
   *     connection joined the channel as another user
   */
  public void leave(String channel, String user, String connectionId) {
    ChannelHistory.checkChannel(channel);
    checkUser(user);
    checkConnectionId(connectionId);
    lock.lock();
    try {
      if (closed) {
        return;
      }
      LocalChannel lc = local.get(channel);
      String existing = lc == null ? null : lc.connections.get(connectionId);
      if (lc == null || existing == null) {
        return;
      }
      if (!existing.equals(user)) {
        throw new IllegalArgumentException(
            "connection "
                + connectionId
                + " joined channel "
                + channel
                + " as user "
                + existing
                + ", not "
                + user);
      }
      lc.connections.remove(connectionId);
      int count = lc.users.getOrDefault(user, 1) - 1; // present: it counts this connection
      if (count == 0) {
        lc.users.remove(user);
        localUsers--;
        if (lc.users.isEmpty()) {
          local.remove(channel);
        }
      } else {
        lc.users.put(user, count);
      }
      localConnections--;
      adjust(channel, user, -1);
      if (broker != null) {
        publish(delta(channel, user, count));
      }
    } finally {
      lock.unlock();
    }
    drain();
  }

  /**
   * The members of {@code channel}, cluster-wide, sorted by user, with their connections summed
   * over nodes. Empty for a channel nobody is in, and after {@link #close()}.
   *
   * @throws IllegalArgumentException if the channel name is invalid
   */
  public List<PresenceMember> members(String channel) {
    ChannelHistory.checkChannel(channel);
    lock.lock();
    try {
      TreeMap<String, Integer> users = view.get(channel);
      if (users == null) {
        return List.of();
      }
      List<PresenceMember> out = new ArrayList<>(users.size());
      users.forEach((u, n) -> out.add(new PresenceMember(u, n)));
      return List.copyOf(out);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Adds a listener of join and leave events for every channel. A listener added while members are
   * present first gets a join for each of them (so it never sees a leave without a join before it),
   * then the events of later changes.
   *
   * @return closing it removes the listener (idempotent)
   */
  public Broker.Subscription onChange(PresenceListener listener) {
    Objects.requireNonNull(listener, "listener");
    Registration reg = new Registration(listener);
    lock.lock();
    try {
      if (!closed) {
        Registration[] one = {reg};
        view.forEach(
            (channel, users) ->
                users.forEach(
                    (user, n) -> {
                      PresenceMember m = new PresenceMember(user, n);
                      effects.add(() -> deliverJoin(one, channel, m));
                    }));
        Registration[] grown = java.util.Arrays.copyOf(listeners, listeners.length + 1);
        grown[listeners.length] = reg;
        listeners = grown;
      }
    } finally {
      lock.unlock();
    }
    drain();
    return () -> {
      reg.active = false;
      lock.lock();
      try {
        listeners =
            java.util.Arrays.stream(listeners).filter(r -> r != reg).toArray(Registration[]::new);
      } finally {
        lock.unlock();
      }
    };
  }

  /** Counters and sizes at this moment. */
  public PresenceStats stats() {
    lock.lock();
    try {
      long bytes =
          (long) localConnections * BYTES_PER_CONNECTION
              + (long) members * BYTES_PER_MEMBER
              + (long) remoteEntries * BYTES_PER_REMOTE_ENTRY
              + (long) view.size() * BYTES_PER_CHANNEL;
      return new PresenceStats(
          view.size(),
          members,
          localConnections,
          remotes.size(),
          expiredNodes,
          refusedJoins,
          droppedRemote,
          publishFailures,
          bytes);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Tells the other nodes that this node's entries leave (they drop them at once, with leave
   * events), stops the heartbeat and forgets every entry; the listeners get no further events.
   * Idempotent. Does not close the broker.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      if (timer != null) {
        timer.cancel();
      }
      for (Registration r : listeners) {
        r.active = false;
      }
      listeners = new Registration[0];
      local.clear();
      view.clear();
      remotes.clear();
      members = 0;
      localConnections = 0;
      localUsers = 0;
      remoteEntries = 0;
      if (broker != null) {
        publish(("{\"node\":" + quotedNodeId + ",\"type\":\"bye\"}"));
      }
    } finally {
      lock.unlock();
    }
    drain();
    if (subscription != null) {
      subscription.close();
    }
    if (gapSubscription != null) {
      gapSubscription.close();
    }
  }

  @Override
  public String toString() {
    PresenceStats s = stats();
    return "Presence[" + nodeId + ", " + s.channels() + " channels, " + s.members() + " members]";
  }

  // ---- the cluster view ----

  /** Whether a new (channel, user) entry fits the bounds; true if it is already there. */
  private boolean fits(String channel, String user) {
    TreeMap<String, Integer> users = view.get(channel);
    if (users == null) {
      return view.size() < maxChannels;
    }
    return users.containsKey(user) || users.size() < maxMembers;
  }

  /** Changes the cluster-wide count of (channel, user) by {@code by}, queueing the event. */
  private void adjust(String channel, String user, int by) {
    TreeMap<String, Integer> users = view.get(channel);
    if (users == null) {
      users = new TreeMap<>();
      view.put(channel, users);
    }
    Integer before = users.get(user);
    int after = (before == null ? 0 : before) + by;
    if (after > 0) {
      users.put(user, after);
      if (before == null) {
        members++;
        Registration[] regs = listeners;
        if (regs.length > 0) {
          PresenceMember m = new PresenceMember(user, after);
          effects.add(() -> deliverJoin(regs, channel, m));
        }
      }
    } else {
      users.remove(user);
      if (users.isEmpty()) {
        view.remove(channel);
      }
      if (before != null) {
        members--;
        Registration[] regs = listeners;
        if (regs.length > 0) {
          effects.add(() -> deliverLeave(regs, channel, user));
        }
      }
    }
  }

  /** Sets what {@code node} has for (channel, user) to {@code count} (0: nothing). */
  private void setRemote(RemoteNode node, String channel, String user, int count) {
    HashMap<String, Integer> users = node.entries.get(channel);
    Integer before = users == null ? null : users.get(user);
    int old = before == null ? 0 : before;
    if (count == old) {
      return;
    }
    if (before == null) {
      if (!fits(channel, user)) {
        droppedRemote++;
        return;
      }
      remoteEntries++;
    }
    if (users == null) { // then before was null too: a new entry with count > 0
      users = new HashMap<>();
      node.entries.put(channel, users);
    }
    if (count == 0) {
      users.remove(user);
      remoteEntries--;
      if (users.isEmpty()) {
        node.entries.remove(channel);
      }
    } else {
      users.put(user, count);
    }
    adjust(channel, user, count - old);
  }

  /** Replaces every entry of {@code node} with {@code entries}: removals first, then the rest. */
  private void replace(RemoteNode node, Map<String, ? extends Map<String, Integer>> entries) {
    List<String[]> gone = new ArrayList<>();
    node.entries.forEach(
        (channel, users) -> {
          Map<String, Integer> now = entries.get(channel);
          users.forEach(
              (user, n) -> {
                if (now == null || !now.containsKey(user)) {
                  gone.add(new String[] {channel, user});
                }
              });
        });
    for (String[] e : gone) {
      setRemote(node, e[0], e[1], 0);
    }
    entries.forEach(
        (channel, users) -> users.forEach((user, n) -> setRemote(node, channel, user, n)));
  }

  private void dropNode(String id, RemoteNode node) {
    replace(node, Map.of());
    remotes.remove(id);
  }

  /** The heartbeat timer: hands the work to a thread of the scheduler (a snapshot can be big). */
  private void tick() {
    scheduler.execute("servicekit-presence-heartbeat", this::heartbeat);
  }

  private void heartbeat() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      long now = scheduler.nanoTime();
      for (Iterator<Map.Entry<String, RemoteNode>> it = remotes.entrySet().iterator();
          it.hasNext(); ) {
        Map.Entry<String, RemoteNode> e = it.next();
        if (now - e.getValue().lastHeard > nodeTtlNanos) {
          LOG.info(
              "presence node {} not heard from for {} ms: its entries leave",
              e.getKey(),
              (now - e.getValue().lastHeard) / 1_000_000);
          replace(e.getValue(), Map.of());
          it.remove();
          expiredNodes++;
        }
      }
      snapshot();
      timer = scheduler.schedule(this::tick, heartbeat);
    } finally {
      lock.unlock();
    }
    drain();
  }

  /** Queues a full snapshot of this node's entries (copied now, encoded when it is sent). */
  private void snapshot() {
    String[] channels = new String[localUsers];
    String[] users = new String[localUsers];
    int[] counts = new int[localUsers];
    int i = 0;
    for (Map.Entry<String, LocalChannel> e : local.entrySet()) {
      for (Map.Entry<String, Integer> u : e.getValue().users.entrySet()) {
        channels[i] = e.getKey();
        users[i] = u.getKey();
        counts[i] = u.getValue();
        i++;
      }
    }
    long id = snapshots++;
    effects.add(() -> sendSnapshot(id, channels, users, counts));
  }

  private void sendSnapshot(long id, String[] channels, String[] users, int[] counts) {
    Broker b = broker;
    if (b == null) {
      return; // one node: nobody to send it to
    }
    int budget = b.maxPayloadBytes() - TRAILER_BYTES;

    StringBuilder body = new StringBuilder();
    int bytes = 0;
    int part = 0;
    String open = null; // the channel whose object is open in body
    for (int i = 0; i < channels.length; i++) {
      String qc = channels[i].equals(open) ? null : quote(channels[i]);
      String entry = quote(users[i]) + ":" + counts[i];
      int need = utf8Length(entry) + 2 + (qc == null ? 0 : utf8Length(qc) + 3);
      if (bytes > 0 && bytes + need > budget) {
        sendPart(id, part++, body.append("}"), false);
        body.setLength(0);
        bytes = 0;
        open = null;
        qc = quote(channels[i]);
      }
      int mark = body.length();
      if (open == null) {
        body.append(qc).append(":{");
      } else if (qc != null) {
        body.append("},").append(qc).append(":{");
      } else {
        body.append(',');
      }
      body.append(entry);
      open = channels[i];
      bytes += utf8Length(body, mark);
    }
    if (open != null) {
      body.append('}');
    }
    sendPart(id, part, body, true);
  }

  private void sendPart(long id, int part, CharSequence body, boolean last) {
    String text =
        "{\"channels\":{"
            + body
            + "},\"last\":"
            + last
            + ",\"node\":"
            + quotedNodeId
            + ",\"part\":"
            + part
            + ",\"snap\":"
            + id
            + ",\"type\":\"snap\"}";
    send(text);
  }

  private String delta(String channel, String user, int count) {
    return "{\"channel\":"
        + quote(channel)
        + ",\"connections\":"
        + count
        + ",\"node\":"
        + quotedNodeId
        + ",\"type\":\"delta\",\"user\":"
        + quote(user)
        + "}";
  }

  private String hello(@Nullable String to) {
    return "{\"node\":"
        + quotedNodeId
        + (to == null ? "" : ",\"to\":" + quote(to))
        + ",\"type\":\"hello\"}";
  }

  /** Queues a message to the broker, in order with the other effects. Called under lock. */
  private void publish(String text) {
    effects.add(() -> send(text));
  }

  private void send(String text) {
    Broker b = broker;
    String t = topic;
    if (b == null || t == null) {
      return; // one node: nothing is published
    }
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    try {
      b.publish(t, payload)
          .whenComplete(
              (ok, failure) -> {
                if (failure != null) {
                  countPublishFailure(failure);
                }
              });
    } catch (RuntimeException e) {
      countPublishFailure(e);
    }
  }

  private void countPublishFailure(Throwable failure) {
    lock.lock();
    try {
      publishFailures++;
    } finally {
      lock.unlock();
    }
    LOG.debug("presence publish failed on {}: {}", topic, failure.toString());
  }

  // ---- messages from the other nodes ----

  private void onGap(BrokerGap gap) {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      // What we missed comes back with the others' snapshots; ours may have been lost too.
      publish(hello(null));
      snapshot();
    } finally {
      lock.unlock();
    }
    drain();
  }

  private void onMessage(String unusedTopic, byte[] payload) {
    JsonNode msg;
    try {
      msg = MAPPER.readTree(payload);
    } catch (JacksonException e) {
      bad("not JSON", e.getOriginalMessage());
      return;
    }
    JsonNode type = msg.get("type");
    JsonNode node = msg.get("node");
    if (!msg.isObject() || type == null || !type.isString() || node == null || !node.isString()) {
      bad("no type or node", null);
      return;
    }
    String from = node.asString();
    if (from.equals(nodeId)) {
      return; // our own
    }
    if (!validNodeId(from)) {
      bad("bad node id", from);
      return;
    }
    lock.lock();
    try {
      if (closed) {
        return;
      }
      switch (type.asString()) {
        case "delta" -> onDelta(from, msg);
        case "snap" -> onSnapshot(from, msg);
        case "hello" -> onHello(from, msg);
        case "bye" -> {
          RemoteNode gone = remotes.get(from);
          if (gone != null) {
            LOG.debug("presence node {} left", from);
            dropNode(from, gone);
          }
        }
        default -> bad("unknown type", type.asString());
      }
    } finally {
      lock.unlock();
    }
    drain();
  }

  /** The record of {@code from}, made if new (null when there are too many nodes). */
  private @Nullable RemoteNode heard(String from) {
    long now = scheduler.nanoTime();
    RemoteNode node = remotes.get(from);
    if (node == null) {
      if (remotes.size() >= MAX_NODES) {
        droppedRemote++;
        return null;
      }
      node = new RemoteNode(now);
      remotes.put(from, node);
    }
    node.lastHeard = now;
    return node;
  }

  private void onDelta(String from, JsonNode msg) {
    String channel = text(msg, "channel");
    String user = text(msg, "user");
    JsonNode n = msg.get("connections");
    if (channel == null
        || user == null
        || !validChannel(channel)
        || !validUser(user)
        || n == null
        || !n.isIntegralNumber()
        || !n.canConvertToInt()
        || n.intValue() < 0) {
      bad("bad delta", null);
      return;
    }
    boolean known = remotes.containsKey(from);
    RemoteNode node = heard(from);
    if (node == null) {
      return;
    }
    if (!known) {
      publish(hello(from)); // we only know its changes from now on: ask for all of it
    }
    setRemote(node, channel, user, n.intValue());
  }

  private void onHello(String from, JsonNode msg) {
    String to = text(msg, "to");
    heard(from);
    if (to == null || to.equals(nodeId)) {
      snapshot();
    }
  }

  private void onSnapshot(String from, JsonNode msg) {
    JsonNode snap = msg.get("snap");
    JsonNode part = msg.get("part");
    JsonNode last = msg.get("last");
    JsonNode channels = msg.get("channels");
    if (snap == null
        || !snap.isIntegralNumber()
        || !snap.canConvertToLong()
        || part == null
        || !part.isIntegralNumber()
        || !part.canConvertToInt()
        || last == null
        || !last.isBoolean()
        || channels == null
        || !channels.isObject()) {
      bad("bad snapshot", null);
      return;
    }
    RemoteNode node = heard(from);
    if (node == null) {
      return;
    }
    long id = snap.longValue();
    int p = part.intValue();
    if (p == 0) {
      node.pendingSnapshot = id;
      node.nextPart = 0;
      node.pending = new HashMap<>();
    } else if (node.pending == null || node.pendingSnapshot != id || node.nextPart != p) {
      // A part of this snapshot was lost: the next heartbeat's snapshot heals.
      node.pending = null;
      droppedRemote++;
      return;
    }
    node.nextPart = p + 1;
    HashMap<String, HashMap<String, Integer>> pending = node.pending;
    for (Map.Entry<String, JsonNode> c : channels.properties()) {
      String channel = c.getKey();
      if (!validChannel(channel) || !c.getValue().isObject()) {
        droppedRemote++;
        continue;
      }
      HashMap<String, Integer> users = pending.get(channel);
      if (users == null) {
        if (pending.size() >= maxChannels) {
          droppedRemote += c.getValue().size();
          continue;
        }
        users = new HashMap<>();
        pending.put(channel, users);
      }
      for (Map.Entry<String, JsonNode> u : c.getValue().properties()) {
        JsonNode n = u.getValue();
        if (!validUser(u.getKey())
            || !n.isIntegralNumber()
            || !n.canConvertToInt()
            || n.intValue() < 1
            || (users.size() >= maxMembers && !users.containsKey(u.getKey()))) {
          droppedRemote++;
          continue;
        }
        users.put(u.getKey(), n.intValue());
      }
      if (users.isEmpty()) {
        pending.remove(channel);
      }
    }
    if (last.booleanValue()) {
      node.pending = null;
      node.pendingSnapshot = -1;
      replace(node, pending);
    }
  }

  private void bad(String what, @Nullable String detail) {
    lock.lock();
    try {
      droppedRemote++;
    } finally {
      lock.unlock();
    }
    LOG.debug("presence message dropped on {}: {} {}", topic, what, detail == null ? "" : detail);
  }

  private static @Nullable String text(JsonNode msg, String field) {
    JsonNode n = msg.get(field);
    return n != null && n.isString() ? n.asString() : null;
  }

  // ---- effects ----

  /** Runs the queued effects in order, outside the lock, one thread at a time. */
  private void drain() {
    lock.lock();
    try {
      if (draining) {
        return; // the draining thread runs what we queued
      }
      draining = true;
    } finally {
      lock.unlock();
    }
    boolean done = false;
    try {
      while (true) {
        Runnable next;
        lock.lock();
        try {
          next = effects.poll();
          if (next == null) {
            draining = false;
            done = true;
            return;
          }
        } finally {
          lock.unlock();
        }
        try {
          next.run();
        } catch (RuntimeException e) {
          LOG.warn("presence listener or publish failed", e);
        }
      }
    } finally {
      if (!done) {
        lock.lock();
        try {
          draining = false;
        } finally {
          lock.unlock();
        }
      }
    }
  }

  private static void deliverJoin(Registration[] regs, String channel, PresenceMember member) {
    for (Registration r : regs) {
      if (r.active) {
        try {
          r.listener.onJoin(channel, member);
        } catch (RuntimeException e) {
          LOG.warn("presence listener failed on join of {} to {}", member.user(), channel, e);
        }
      }
    }
  }

  private static void deliverLeave(Registration[] regs, String channel, String user) {
    for (Registration r : regs) {
      if (r.active) {
        try {
          r.listener.onLeave(channel, user);
        } catch (RuntimeException e) {
          LOG.warn("presence listener failed on leave of {} from {}", user, channel, e);
        }
      }
    }
  }

  // ---- validation and encoding ----

  private static void checkUser(String user) {
    if (user == null || user.isEmpty() || user.length() > MAX_USER_LENGTH) {
      throw new IllegalArgumentException(
          "user must be 1-"
              + MAX_USER_LENGTH
              + " characters, was "
              + (user == null ? "null" : user.length() + " characters"));
    }
    for (int i = 0; i < user.length(); i++) {
      if (Character.isISOControl(user.charAt(i))) {
        throw new IllegalArgumentException(
            "user must not contain control characters, was \""
                + user.replaceAll("\\p{Cntrl}", "?")
                + "\"");
      }
    }
  }

  private static void checkConnectionId(String connectionId) {
    if (connectionId == null || connectionId.isEmpty()) {
      throw new IllegalArgumentException(
          "connectionId must be non-empty, was " + (connectionId == null ? "null" : "\"\""));
    }
  }

  private static boolean validUser(String user) {
    try {
      checkUser(user);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean validChannel(String channel) {
    try {
      ChannelHistory.checkChannel(channel);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Longest node id, in characters. */
  private static final int MAX_NODE_ID_LENGTH = 64;

  private static boolean validNodeId(String id) {
    if (id.isEmpty() || id.length() > MAX_NODE_ID_LENGTH) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_'
              || c == '.'
              || c == ':';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static String quote(String s) {
    return MAPPER.writeValueAsString(s);
  }

  private static int utf8Length(CharSequence s) {
    return utf8Length(s, 0);
  }

  private static int utf8Length(CharSequence s, int from) {
    int n = 0;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** Configures a {@link Presence}. */
  public static final class Builder {
    private @Nullable Broker broker;
    private @Nullable String topicPrefix;

    private Duration heartbeat = Duration.ofSeconds(5);
    private Duration nodeTtl = Duration.ofSeconds(15);
    private int maxMembersPerChannel = 10_000;
    private int maxChannels = 100_000;
    private Scheduler scheduler = Scheduler.system();
    private @Nullable String nodeId;

    private Builder() {}

    /**
     * Shares presence with the other nodes on {@code broker}, on the topic {@code
     * <topicPrefix>.presence}. Default: none (one node).
     *
     * @throws IllegalArgumentException if the prefix is empty or contains {@code *}
     */
    public Builder broker(Broker broker, String topicPrefix) {
      this.broker = Objects.requireNonNull(broker, "broker");
      this.topicPrefix = Broker.checkTopicPrefix("topicPrefix", topicPrefix);
      return this;
    }

    /**
     * How often this node sends the snapshot of its entries (which also says it is alive); default
     * 5 s.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder heartbeat(Duration heartbeat) {
      Objects.requireNonNull(heartbeat, "heartbeat");
      if (heartbeat.isNegative() || heartbeat.isZero()) {
        throw new IllegalArgumentException("heartbeat must be positive, was " + heartbeat);
      }
      this.heartbeat = heartbeat;
      return this;
    }

    /**
     * How long another node may stay silent before it is declared dead and its entries leave;
     * default 15 s, must be longer than the heartbeat (checked by {@link #build}).
     */
    public Builder nodeTtl(Duration nodeTtl) {
      this.nodeTtl = Objects.requireNonNull(nodeTtl, "nodeTtl");
      return this;
    }

    /**
     * The most users in one channel, cluster-wide; default 10,000.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder maxMembersPerChannel(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxMembersPerChannel must be at least 1, was " + max);
      }
      this.maxMembersPerChannel = max;
      return this;
    }

    /**
     * The most channels with members, cluster-wide; default 100,000.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder maxChannels(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxChannels must be at least 1, was " + max);
      }
      this.maxChannels = max;
      return this;
    }

    /** The clock and threads for the heartbeat; default {@link Scheduler#system()}. */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * This node's id, unique in the cluster; default a random UUID.
     *
     * @throws IllegalArgumentException unless 1 to 64 characters of {@code [A-Za-z0-9._:-]}
     */
    public Builder nodeId(String nodeId) {
      Objects.requireNonNull(nodeId, "nodeId");
      if (!validNodeId(nodeId)) {
        throw new IllegalArgumentException(
            "nodeId must be 1-64 characters of [A-Za-z0-9._:-], was \""
                + nodeId.replaceAll("\\p{Cntrl}", "?")
                + "\"");
      }
      this.nodeId = nodeId;
      return this;
    }

    /**
     * A presence; with a broker it subscribes at once, asks the other nodes for their entries and
     * starts its heartbeat.
     *
     * @throws IllegalArgumentException if the node TTL is not longer than the heartbeat, or the
     *     broker's payload limit is below {@value Presence#MIN_PAYLOAD_BYTES} bytes
     */
    public Presence build() {
      if (nodeTtl.compareTo(heartbeat) <= 0) {
        throw new IllegalArgumentException(
            "nodeTtl must be longer than the heartbeat (" + heartbeat + "), was " + nodeTtl);
      }
      if (broker != null && broker.maxPayloadBytes() < MIN_PAYLOAD_BYTES) {
        throw new IllegalArgumentException(
            "the broker's maxPayloadBytes must be at least "
                + MIN_PAYLOAD_BYTES
                + " for presence, was "
                + broker.maxPayloadBytes());
      }
      Presence p = new Presence(this);
      p.start();
      return p;
    }
  }
}
