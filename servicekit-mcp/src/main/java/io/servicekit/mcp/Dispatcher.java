package io.servicekit.mcp;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * One JSON-RPC message from a client to the built-in methods or {@link McpServer#dispatch}:
 * notifications (cancellation), responses to server-to-client requests, and requests, each run on
 * its own virtual thread with its answer emitted on a {@link ResponseStream}. Which {@link
 * ClientState} and stream a message gets is up to the caller (a session's, or a request's own).
 */
final class Dispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(McpEndpoint.class);
  private static final ThreadFactory HANDLERS =
      Thread.ofVirtual().name("servicekit-mcp-request-", 0).factory();

  private final McpServer server;
  private final Duration requestTimeout;

  Dispatcher(McpServer server, Duration requestTimeout) {
    this.server = server;
    this.requestTimeout = requestTimeout;
  }

  McpServer server() {
    return server;
  }

  /**
   * Takes in the notifications and responses of {@code messages} (of {@code kinds}) and returns its
   * requests, in order, for {@link #start}.
   */
  List<JsonNode> accept(ClientState client, List<JsonNode> messages, List<JsonRpc.Kind> kinds) {
    List<JsonNode> requests = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      switch (kinds.get(i)) {
        case REQUEST -> requests.add(m);
        case NOTIFICATION -> onNotification(client, m);
        case RESPONSE -> onResponse(client, m);
      }
    }
    return requests;
  }

  /** Runs each of {@code requests} on its own thread, answering on {@code stream}. */
  void start(
      ClientState client,
      ResponseStream stream,
      List<JsonNode> requests,
      McpAuth.@Nullable AccessToken token) {
    for (JsonNode r : requests) {
      HANDLERS.newThread(() -> run(client, stream, r, token)).start();
    }
  }

  /** A client notification; {@code notifications/initialized} is the session path's. */
  void onNotification(ClientState client, JsonNode m) {
    String method = m.path("method").asString();
    switch (method) {
      case "notifications/initialized" -> {
        if (client instanceof McpSession s) {
          s.initialized = true;
        }
      }
      case "notifications/cancelled" -> {
        String key = m.path("params").path("requestId").toString();
        Thread t = client.running.get(key);
        if (t != null) {
          client.cancelled.add(key);
          if (client.running.get(key) == t) {
            t.interrupt();
          } else {
            client.cancelled.remove(key); // it finished meanwhile: nothing would remove the mark
          }
        }
      }
      default -> LOG.debug("{}: notification {} ignored", client, method);
    }
  }

  /** A client's response to a server-to-client request. */
  void onResponse(ClientState client, JsonNode m) {
    JsonNode id = m.get("id");
    CompletableFuture<JsonNode> f =
        client.pending.remove(id.isString() ? id.asString() : id.toString());
    if (f == null) {
      LOG.debug("{}: response to unknown request {}", client, id);
      return;
    }
    if (m.has("error")) {
      JsonNode e = m.get("error");
      f.completeExceptionally(
          new McpError(
              e.path("code").asInt(McpError.INTERNAL_ERROR),
              e.path("message").asString("error from the client"),
              e.get("data")));
    } else {
      f.complete(m.get("result"));
    }
  }

  /**
   * Runs one request on the calling thread and emits its response on {@code stream} (or skips it
   * when the client cancelled the request).
   */
  void run(
      ClientState client,
      ResponseStream stream,
      JsonNode request,
      McpAuth.@Nullable AccessToken token) {
    JsonNode id = request.get("id");
    String key = id.toString();
    client.running.put(key, Thread.currentThread());
    JsonNode response;
    try {
      String method = request.path("method").asString();
      JsonNode params = request.path("params");
      RequestContext ctx = new RequestContext(client, stream, params, requestTimeout, token);
      JsonNode result = builtIn(client, method, params);
      if (result == null) {
        result = server.dispatch(ctx, method, params.isMissingNode() ? null : params);
      }
      response = Messages.result(id, result);
    } catch (McpError e) {
      response = Messages.errorResponse(id, e.code(), e.message(), e.data());
    } catch (InterruptedException e) {
      String why = client.shuttingDown ? "server shutting down" : "request cancelled";
      response = Messages.errorResponse(id, McpError.INTERNAL_ERROR, why, null);
    } catch (Exception e) {
      // The exception's text stays in the log: the client gets the id to quote.
      String errorId = Messages.newErrorId();
      LOG.warn(
          "{}: handler of {} failed (error id {})", client, request.path("method"), errorId, e);
      response = Messages.internalError(id, errorId);
    } finally {
      client.touch(); // idle time counts from the end of the request
      client.running.remove(key);
      Thread.interrupted(); // clear a late cancellation
    }
    if (client.cancelled.remove(key)) {
      stream.skipResponse(); // cancelled: the spec says not to answer
    } else {
      stream.emit(response, true);
    }
  }

  /** Methods answered from the client's state, or null to dispatch to the server. */
  private static @Nullable JsonNode builtIn(ClientState client, String method, JsonNode params) {
    switch (method) {
      case "ping" -> {
        return McpJson.object();
      }
      case "logging/setLevel" -> {
        String level = params.path("level").asString("");
        int index = ClientState.LEVELS.indexOf(level);
        if (index < 0) {
          throw new McpError(
              McpError.INVALID_PARAMS,
              "logging/setLevel: unknown level '"
                  + level
                  + "' (one of "
                  + ClientState.LEVELS
                  + ")");
        }
        client.minLevel = index;
        return McpJson.object();
      }
      case "resources/subscribe", "resources/unsubscribe" -> {
        JsonNode uri = params.path("uri");
        if (!uri.isString()) {
          throw new McpError(McpError.INVALID_PARAMS, method + " needs params.uri (a string)");
        }
        if (method.endsWith("unsubscribe")) {
          client.subscriptions.remove(uri.asString());
        } else {
          client.subscriptions.add(uri.asString());
        }
        return McpJson.object();
      }
      default -> {
        return null;
      }
    }
  }
}
