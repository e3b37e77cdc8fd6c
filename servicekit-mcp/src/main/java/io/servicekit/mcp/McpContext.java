package io.servicekit.mcp;

import java.time.Duration;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * What a handler of one client request can do besides returning its result: report progress, log to
 * the client, and send notifications or requests (sampling, elicitation, roots) to the client.
 * Everything goes on the stream of the request being handled (its POST's SSE response), as the MCP
 * Streamable HTTP transport requires; the first such message turns the answer from a plain JSON
 * response into an event stream.
 *
 * <p>Thread-safe; valid until the handler returns.
 */
public interface McpContext {
  /** The session's id ({@code Mcp-Session-Id}). */
  String sessionId();

  /** The protocol version negotiated by {@code initialize}. */
  String protocolVersion();

  /** The {@code capabilities} the client announced in {@code initialize} (an object). */
  JsonNode clientCapabilities();

  /**
   * Whether the client announced {@code capability} (e.g. {@code sampling}, {@code elicitation}).
   */
  default boolean clientSupports(String capability) {
    return clientCapabilities().has(capability);
  }

  /** The {@code clientInfo} of {@code initialize} (an object, possibly empty). */
  JsonNode clientInfo();

  /**
   * The request's validated access token (subject, scopes) when the transport has {@link McpAuth};
   * empty otherwise.
   */
  default Optional<McpAuth.AccessToken> accessToken() {
    return Optional.empty();
  }

  /** The {@code _meta.progressToken} of the request, if the client asked for progress. */
  Optional<JsonNode> progressToken();

  /**
   * Sends {@code notifications/progress} for this request ({@code total} and {@code message} may be
   * null); does nothing when the client gave no progress token.
   */
  void progress(double progress, Double total, String message) throws InterruptedException;

  /**
   * Sends a {@code notifications/message} log entry at {@code level} (debug, info, notice, warning,
   * error, critical, alert, emergency) unless the client's {@code logging/setLevel} filters it out.
   *
   * @throws IllegalArgumentException for an unknown level
   */
  void log(String level, String logger, JsonNode data) throws InterruptedException;

  /** {@link #log(String, String, JsonNode)} with a text message. */
  void log(String level, String logger, String message) throws InterruptedException;

  /** Sends the notification {@code method} with {@code params} (null for none) on this stream. */
  void notify(String method, JsonNode params) throws InterruptedException;

  /**
   * Sends the request {@code method} to the client on this stream and waits up to {@code timeout}
   * for its answer (the client POSTs it back).
   *
   * @return the {@code result} of the client's response
   * @throws McpError the client's error response, or {@link McpError#INTERNAL_ERROR} on timeout or
   *     when the session ends first
   */
  JsonNode request(String method, JsonNode params, Duration timeout) throws InterruptedException;

  /** {@link #request(String, JsonNode, Duration)} with the transport's default request timeout. */
  JsonNode request(String method, JsonNode params) throws InterruptedException;

  /**
   * Closes the current connection of this request's event stream without ending the stream
   * (2025-11-25 "polling", SEP-1699): the client reconnects with a GET and {@code Last-Event-ID}
   * and receives what was sent since. Switches the answer to an event stream if it was not one yet.
   * Only useful for clients of 2025-11-25 or later, which get a {@code retry} hint; older clients
   * lose the stream.
   */
  void closeStream();
}
