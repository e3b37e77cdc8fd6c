package io.servicekit.mcp;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/** The {@link McpContext} of one request: its client's state and the stream it answers on. */
final class RequestContext implements McpContext {
  private final ClientState client;
  private final ResponseStream stream;
  private final @Nullable JsonNode progressToken;
  private final Duration requestTimeout;
  private final McpAuth.@Nullable AccessToken accessToken; // null without authorization

  RequestContext(
      ClientState client,
      ResponseStream stream,
      JsonNode params,
      Duration requestTimeout,
      McpAuth.@Nullable AccessToken accessToken) {
    this.client = client;
    this.accessToken = accessToken;
    this.stream = stream;
    this.requestTimeout = requestTimeout;
    JsonNode token = params.path("_meta").path("progressToken");
    this.progressToken = token.isString() || token.isNumber() ? token : null;
  }

  @Override
  public String sessionId() {
    String id = client.sessionId();
    return id == null ? "" : id; // McpContext: empty without a session, never null
  }

  @Override
  public Optional<McpAuth.AccessToken> accessToken() {
    return Optional.ofNullable(accessToken);
  }

  @Override
  public String protocolVersion() {
    return client.protocolVersion;
  }

  @Override
  public JsonNode clientCapabilities() {
    return client.clientCapabilities;
  }

  @Override
  public JsonNode clientInfo() {
    return client.clientInfo;
  }

  @Override
  public Optional<JsonNode> progressToken() {
    return Optional.ofNullable(progressToken);
  }

  @Override
  public void progress(double progress, Double total, String message) {
    if (progressToken == null) {
      return;
    }
    stream.emit(Messages.progress(progressToken, progress, total, message), false);
  }

  @Override
  public void log(String level, String logger, JsonNode data) {
    if (Messages.logLevel(level) < client.minLevel) {
      return;
    }
    stream.emit(Messages.log(level, logger, data), false);
  }

  @Override
  public void log(String level, String logger, String message) {
    log(level, logger, McpJson.MAPPER.getNodeFactory().stringNode(message));
  }

  @Override
  public void notify(String method, JsonNode params) {
    Objects.requireNonNull(method, "method");
    stream.emit(Messages.notification(method, params), false);
  }

  @Override
  public JsonNode request(String method, JsonNode params) throws InterruptedException {
    return request(method, params, requestTimeout);
  }

  @Override
  public JsonNode request(String method, JsonNode params, Duration timeout)
      throws InterruptedException {
    String id = client.nextRequestId();
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    client.pending.put(id, answer);
    if (!stream.emit(Messages.request(id, method, params), false)) {
      client.pending.remove(id);
      throw new McpError(McpError.INTERNAL_ERROR, "the request's stream has ended");
    }
    try {
      return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof McpError m) {
        throw m;
      }
      throw new McpError(McpError.INTERNAL_ERROR, String.valueOf(e.getCause()));
    } catch (TimeoutException e) {
      throw new McpError(
          McpError.INTERNAL_ERROR, "the client did not answer " + method + " within " + timeout);
    } finally {
      client.pending.remove(id);
    }
  }

  @Override
  public void closeStream() {
    stream.requestDisconnect();
  }
}
