package io.servicekit.mcp;

import io.servicekit.sse.SseEvent;
import io.servicekit.streamable.StreamClosedException;
import io.servicekit.streamable.StreamResponse;
import io.servicekit.streamable.StreamSession;
import io.servicekit.streamable.StreamableResponse;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The open {@code subscriptions/listen} streams of the stateless revision (2026-07-28): each gets
 * {@code notifications/subscriptions/acknowledged} first (with the kinds it asked for that this
 * server can deliver), then the change notifications of those kinds, every one tagged with {@code
 * _meta["io.modelcontextprotocol/subscriptionId"]} = the listen request's id. The client ends a
 * listen by closing its stream; the server ends all of them gracefully on shutdown with the
 * listen's result ({@code {"resultType": "complete"}}).
 *
 * <p>Bounded: at most {@code max} listens at once (more are refused with 503), at most {@link
 * #MAX_URIS} resource URIs per listen, and a listen holds at most one pending notification per kind
 * and URI (repeats coalesce: a list-changed or updated notification says the same thing twice).
 */
final class Listens {
  /** Resource URIs one listen may name. */
  static final int MAX_URIS = 1000;

  private final boolean tools;
  private final boolean prompts;
  private final boolean resources;
  private final boolean subscribe;
  private final int max;
  private final Set<Listen> open = ConcurrentHashMap.newKeySet();

  Listens(McpServer server, int max) {
    JsonNode caps = server.capabilities();
    this.tools = caps.path("tools").path("listChanged").asBoolean(false);
    this.prompts = caps.path("prompts").path("listChanged").asBoolean(false);
    this.resources = caps.path("resources").path("listChanged").asBoolean(false);
    this.subscribe = caps.path("resources").path("subscribe").asBoolean(false);
    this.max = max;
  }

  /** Whether any notification kind can be delivered (else listen is not offered: -32601). */
  boolean anyKindOffered() {
    return tools || prompts || resources || subscribe;
  }

  int size() {
    return open.size();
  }

  /** Opens a listen for request {@code id} with {@code params}. */
  StreamableResponse open(JsonNode id, JsonNode params) {
    JsonNode asked = params.path("notifications");
    if (!asked.isObject()) {
      return HttpFront.error(
          400,
          id,
          McpError.INVALID_PARAMS,
          "Invalid params: subscriptions/listen needs params.notifications (an object), got "
              + HttpFront.abbreviate(asked));
    }
    ObjectNode honoured = McpJson.object();
    if (tools && asked.path("toolsListChanged").asBoolean(false)) {
      honoured.put("toolsListChanged", true);
    }
    if (prompts && asked.path("promptsListChanged").asBoolean(false)) {
      honoured.put("promptsListChanged", true);
    }
    if (resources && asked.path("resourcesListChanged").asBoolean(false)) {
      honoured.put("resourcesListChanged", true);
    }
    Set<String> uris = new LinkedHashSet<>();
    JsonNode subs = asked.path("resourceSubscriptions");
    if (!subs.isMissingNode()) {
      if (!subs.isArray() || subs.size() > MAX_URIS) {
        return HttpFront.error(
            400,
            id,
            McpError.INVALID_PARAMS,
            "Invalid params: notifications.resourceSubscriptions must be an array of at most "
                + MAX_URIS
                + " URIs, got "
                + HttpFront.abbreviate(subs));
      }
      for (JsonNode u : subs) {
        if (!u.isString()) {
          return HttpFront.error(
              400,
              id,
              McpError.INVALID_PARAMS,
              "Invalid params: notifications.resourceSubscriptions holds a non-string "
                  + HttpFront.abbreviate(u));
        }
        uris.add(u.asString());
      }
      if (subscribe && !uris.isEmpty()) {
        uris.forEach(honoured.putArray("resourceSubscriptions")::add);
      } else {
        uris.clear();
      }
    }
    Listen listen = new Listen(id, honoured, uris);
    synchronized (open) {
      if (open.size() >= max) {
        return HttpFront.error(
            503,
            id,
            McpError.SERVER_ERROR,
            "Service Unavailable: " + max + " subscriptions/listen streams are open (maxListens)");
      }
      open.add(listen);
    }
    return StreamResponse.of(listen::pump);
  }

  /** {@code notifications/<kind>/list_changed} to every listen that asked for it. */
  void listChanged(String kind) {
    String flag = kind + "ListChanged";
    for (Listen l : open) {
      if (l.honoured.path(flag).asBoolean(false)) {
        l.offer("notifications/" + kind + "/list_changed", null);
      }
    }
  }

  /** {@code notifications/resources/updated} to every listen naming {@code uri}. */
  void resourceUpdated(String uri) {
    for (Listen l : open) {
      if (l.uris.contains(uri)) {
        l.offer("notifications/resources/updated", uri);
      }
    }
  }

  /** Ends every listen with its result (graceful), e.g. on shutdown. */
  void endAll() {
    for (Listen l : open) {
      l.finish();
    }
  }

  private final class Listen {
    private final JsonNode id;
    private final ObjectNode honoured;
    private final Set<String> uris;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final LinkedHashSet<List<String>> pending = new LinkedHashSet<>(); // [method, uri?]
    private boolean finishing; // guarded by lock

    Listen(JsonNode id, ObjectNode honoured, Set<String> uris) {
      this.id = id;
      this.honoured = honoured;
      this.uris = Set.copyOf(uris);
    }

    void offer(String method, @Nullable String uri) {
      lock.lock();
      try {
        pending.add(uri == null ? List.of(method) : List.of(method, uri));
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    void finish() {
      lock.lock();
      try {
        finishing = true;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    void pump(StreamSession sink) throws InterruptedException {
      sink.onClose(() -> open.remove(this));
      try {
        ObjectNode ack = McpJson.object();
        ack.set("notifications", honoured);
        send(sink, "notifications/subscriptions/acknowledged", ack);
        while (true) {
          List<List<String>> batch;
          boolean end;
          lock.lock();
          try {
            while (pending.isEmpty() && !finishing) {
              changed.await();
            }
            batch = new ArrayList<>(pending);
            pending.clear();
            end = finishing;
          } finally {
            lock.unlock();
          }
          for (List<String> n : batch) {
            ObjectNode p = McpJson.object();
            if (n.size() > 1) {
              p.put("uri", n.get(1));
            }
            send(sink, n.get(0), p);
          }
          if (end) {
            ObjectNode result = McpJson.object().put("resultType", "complete");
            result.putObject("_meta").set(StatelessPath.META_SUBSCRIPTION, id);
            ObjectNode done = McpJson.object().put("jsonrpc", "2.0");
            done.set("id", id);
            done.set("result", result);
            sink.send(SseEvent.of(null, null, 0, done.toString()));
            return;
          }
        }
      } catch (StreamClosedException e) {
        // the client closed the listen: that ends it
      } finally {
        open.remove(this);
      }
    }

    private void send(StreamSession sink, String method, ObjectNode params)
        throws InterruptedException {
      params.putObject("_meta").set(StatelessPath.META_SUBSCRIPTION, id);
      sink.send(SseEvent.of(null, null, 0, Messages.notification(method, params).toString()));
    }
  }
}
