package io.servicekit.client;

import io.servicekit.JsonCodec;
import io.servicekit.Rejection;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.jetty.ServiceKitServer;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A scripted channel endpoint (the wire protocol of docs/channels.md) on a real ServiceKit server,
 * for {@link ChannelClientTest}: a history per channel with a count limit, subscribe with {@code
 * since} (recovery or resync), publish with fan-out, presence, requests. The test can refuse new
 * handshakes ({@link #down}), append without fan-out, and send raw envelopes to a connection, so
 * the client's recovery and continuity checks meet exactly the situations they are for.
 */
final class ChannelTestServer implements AutoCloseable {
  static final String EPOCH = "e1";

  /** One channel's history: offsets first..first+data.size()-1 are kept. */
  private static final class History {
    String epoch = EPOCH;
    long first = 1;
    final List<Object> data = new ArrayList<>();

    long top() {
      return first + data.size() - 1;
    }
  }

  final BlockingQueue<Map<?, ?>> received = new LinkedBlockingQueue<>();
  private final int maxKept;
  private final Map<String, History> histories = new HashMap<>(); // guarded by this
  private final Map<WsSession<Object>, Set<String>> subscribed = new LinkedHashMap<>(); // this
  private final List<Long> slowRequests = new ArrayList<>(); // guarded by this
  private volatile boolean down;
  private int unavailableSubscribes; // guarded by this
  private final ServiceKitServer server;

  ChannelTestServer(int maxKept) throws Exception {
    this.maxKept = maxKept;
    this.server =
        ServiceKitServer.builder()
            .port(0)
            .ws(
                "/channels",
                r -> {
                  if (down) {
                    throw Rejection.of(503, "down for the test");
                  }
                  return WsListener.<Object, Object>of(
                      JsonCodec.INSTANCE, "Channels", this::handle);
                },
                WsConfig.builder().writeTimeout(Duration.ofMinutes(1)).build())
            .build()
            .start();
  }

  URI uri() {
    return server.wsUri("/channels");
  }

  /** Refuses (503) or accepts new connections. */
  void down(boolean v) {
    down = v;
  }

  /** Drops every connection without a close frame (the client sees 1006). */
  synchronized void dropConnections() {
    server.webSocketSessions().forEach(WsSession::abort);
    subscribed.clear();
  }

  /** The open connections. */
  synchronized List<WsSession<Object>> sessions() {
    return new ArrayList<>(subscribed.keySet());
  }

  /** Appends to the history and sends to the subscribers; returns the offset. */
  synchronized long publish(String channel, Object data) {
    History h = histories.computeIfAbsent(channel, c -> new History());
    h.data.add(data);
    if (h.data.size() > maxKept) {
      h.data.remove(0);
      h.first++;
    }
    long offset = h.top();
    subscribed.forEach(
        (s, channels) -> {
          if (channels.contains(channel) && s.isOpen()) {
            s.send(pub(channel, h.epoch, offset, data));
          }
        });
    return offset;
  }

  /** Appends to the history without sending it to anyone (a publication a client missed). */
  synchronized long appendSilently(String channel, Object data) {
    Map<WsSession<Object>, Set<String>> saved = new LinkedHashMap<>(subscribed);
    subscribed.clear();
    try {
      return publish(channel, data);
    } finally {
      subscribed.putAll(saved);
    }
  }

  /** Answers the next {@code n} subscribes {@code unavailable} (a history that is unreachable). */
  synchronized void failSubscribes(int n) {
    unavailableSubscribes = n;
  }

  /** Starts a new epoch for {@code channel} (a lost history). */
  synchronized void newEpoch(String channel, String epoch) {
    History h = histories.computeIfAbsent(channel, c -> new History());
    h.epoch = epoch;
    h.first = 1;
    h.data.clear();
  }

  /** Answers the requests whose data was "slow", late. */
  synchronized void answerSlowRequests() {
    for (long id : slowRequests) {
      for (WsSession<Object> s :
          server.webSocketSessions().stream().map(ChannelTestServer::cast).toList()) {
        s.send(Map.of("type", "reply", "id", id, "data", "late"));
      }
    }
    slowRequests.clear();
  }

  @SuppressWarnings("unchecked")
  private static WsSession<Object> cast(WsSession<?> s) {
    return (WsSession<Object>) s;
  }

  static Map<String, Object> pub(String channel, String epoch, long offset, Object data) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "pub");
    m.put("channel", channel);
    m.put("epoch", epoch);
    m.put("offset", offset);
    m.put("data", data);
    return m;
  }

  private synchronized void handle(WsSession<Object> session, Object message) {
    Map<?, ?> m = (Map<?, ?>) message;
    received.add(m);
    Set<String> mine = subscribed.computeIfAbsent(session, s -> new HashSet<>());
    Object id = m.get("id");
    String channel = (String) m.get("channel");
    switch ((String) m.get("type")) {
      case "subscribe" -> {
        History h = histories.computeIfAbsent(channel, c -> new History());
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("channel", channel);
        reply.put("epoch", h.epoch);
        reply.put("offset", h.top() < 0 ? 0 : h.top());
        if (unavailableSubscribes > 0) {
          unavailableSubscribes--;
          session.send(
              Map.of("type", "reply", "id", id, "error", "history down", "code", "unavailable"));
          return;
        }
        if ("forbidden".equals(channel)) {
          session.send(Map.of("type", "reply", "id", id, "error", "no", "code", "forbidden"));
          return;
        }
        if (m.get("since") instanceof Map<?, ?> since && !mine.contains(channel)) {
          String epoch = (String) since.get("epoch");
          long offset = ((Number) since.get("offset")).longValue();
          String resync =
              !epoch.equals(h.epoch)
                  ? "epoch_changed"
                  : offset > h.top() ? "ahead" : offset < h.first - 1 ? "evicted" : null;
          if (resync == null) {
            for (long o = offset + 1; o <= h.top(); o++) {
              session.send(pub(channel, h.epoch, o, h.data.get((int) (o - h.first))));
            }
            reply.put("recovered", true);
          } else {
            reply.put("recovered", false);
            reply.put("resync", resync);
          }
        } else {
          reply.put("recovered", false);
        }
        mine.add(channel);
        session.send(Map.of("type", "reply", "id", id, "data", reply));
      }
      case "unsubscribe" -> {
        mine.remove(channel);
        session.send(Map.of("type", "reply", "id", id, "data", Map.of("channel", channel)));
      }
      case "publish" -> {
        long offset = publish(channel, m.get("data"));
        String epoch = histories.get(channel).epoch;
        session.send(
            Map.of(
                "type",
                "reply",
                "id",
                id,
                "data",
                Map.of("channel", channel, "epoch", epoch, "offset", offset)));
      }
      case "presence" ->
          session.send(
              Map.of(
                  "type",
                  "reply",
                  "id",
                  id,
                  "data",
                  Map.of(
                      "channel",
                      channel,
                      "members",
                      "broken".equals(channel)
                          ? List.of(Map.of("user", "zed", "connections", 0))
                          : List.of(
                              Map.of("user", "alice", "connections", 2),
                              Map.of("user", "bob", "connections", 1)))));
      case "request" -> {
        Object data = m.get("data");
        if ("slow".equals(data)) {
          slowRequests.add(((Number) id).longValue());
        } else if ("fail".equals(data)) {
          session.send(
              Map.of("type", "reply", "id", id, "error", "not for you", "code", "forbidden"));
        } else {
          session.send(Map.of("type", "reply", "id", id, "data", Map.of("echo", data)));
        }
      }
      default -> {} // replies to the server's own requests are only recorded
    }
  }

  @Override
  public void close() throws Exception {
    server.close();
  }
}
