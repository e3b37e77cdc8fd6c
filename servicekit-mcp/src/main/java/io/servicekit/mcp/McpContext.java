package io.servicekit.mcp;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
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
  /**
   * The session's id ({@code Mcp-Session-Id}); empty on the stateless revision (2026-07-28), which
   * has no sessions.
   */
  String sessionId();

  /**
   * The protocol version of this request: the one {@code initialize} negotiated, or on the
   * stateless revision the one the request's {@code _meta} names.
   */
  String protocolVersion();

  /**
   * The {@code capabilities} the client announced (an object): in {@code initialize}, or on the
   * stateless revision in this request's {@code _meta} (valid for this request only).
   */
  JsonNode clientCapabilities();

  /**
   * Whether the client announced {@code capability} (e.g. {@code sampling}, {@code elicitation}).
   */
  default boolean clientSupports(String capability) {
    return clientCapabilities().has(capability);
  }

  /**
   * The {@code clientInfo} of {@code initialize} or of the request's {@code _meta} (an object,
   * possibly empty).
   */
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
   * <p>On the stateless revision (2026-07-28) servers send no requests: {@code elicitation/create},
   * {@code sampling/createMessage} and {@code roots/list} become {@link #input} under the key
   * {@code request-<n>} (the n-th request of this call, counting from 1), so code written for
   * 2025-11-25 keeps working; any other method fails with {@code -32601}.
   *
   * @return the {@code result} of the client's response
   * @throws McpError the client's error response, or {@link McpError#INTERNAL_ERROR} on timeout or
   *     when the session ends first
   */
  JsonNode request(String method, JsonNode params, Duration timeout) throws InterruptedException;

  /** {@link #request(String, JsonNode, Duration)} with the transport's default request timeout. */
  JsonNode request(String method, JsonNode params) throws InterruptedException;

  /**
   * Asks the client for {@code input} under {@code key} and returns its answer (the client's result
   * object, e.g. an {@code ElicitResult} {@code {"action": "accept", "content": {...}}}). Written
   * once, it works on both revisions:
   *
   * <ul>
   *   <li>2025-11-25 and older: sends the input's request to the client on this request's stream
   *       and waits for the answer ({@link #request(String, JsonNode)}); {@code key} is not sent.
   *   <li>2026-07-28: if the client's retry of this call carries the answer under {@code key} (its
   *       {@code inputResponses}, or an earlier round's answers kept in the integrity-protected
   *       {@code requestState}), returns it; otherwise this call ends with an {@code
   *       input_required} result asking for it, and the handler runs again from the start when the
   *       client retries. A handler that asks must therefore do nothing before its questions that
   *       it cannot repeat, and must not catch the {@link Error} this method throws to end the
   *       round.
   * </ul>
   *
   * <p>Allowed on {@code tools/call}, {@code prompts/get} and {@code resources/read}.
   *
   * @throws McpError {@code -32021} (2026-07-28) or {@code -32600} if the client did not declare
   *     the capability the input needs ({@link McpInput#capability()}); {@code -32602} if the
   *     client's answer is not an object
   */
  default JsonNode input(String key, McpInput input) throws InterruptedException {
    return Messages.answerOf(key, inputs(Map.of(key, input)));
  }

  /**
   * Asks for several inputs at once (on 2026-07-28 in one {@code input_required} round) and returns
   * the answers by key; see {@link #input}. On 2025-11-25 the requests are sent one after another,
   * in the map's order.
   */
  default Map<String, JsonNode> inputs(Map<String, McpInput> inputs) throws InterruptedException {
    Map<String, JsonNode> answers = new LinkedHashMap<>();
    for (Map.Entry<String, McpInput> e : inputs.entrySet()) {
      McpInput in = e.getValue();
      if (!clientSupports(in.capability())) {
        throw new McpError(
            McpError.INVALID_REQUEST,
            "the client did not declare the '"
                + in.capability()
                + "' capability that "
                + in.method()
                + " needs");
      }
      answers.put(e.getKey(), request(in.method(), in.params()));
    }
    return answers;
  }

  /**
   * Closes the current connection of this request's event stream without ending the stream
   * (2025-11-25 "polling", SEP-1699): the client reconnects with a GET and {@code Last-Event-ID}
   * and receives what was sent since. Switches the answer to an event stream if it was not one yet.
   * Only useful for clients of 2025-11-25 or later, which get a {@code retry} hint; older clients
   * lose the stream.
   */
  void closeStream();
}
