package io.servicekit.mcp;

import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Something a handler asks the client for while it runs: an elicitation (a question to the user), a
 * sampling request (a completion from the client's model) or the client's roots. Pass it to {@link
 * McpContext#input} or {@link McpContext#inputs}; the same handler code works on both protocol
 * revisions — on 2025-11-25 it becomes a request to the client on the request's stream, on
 * 2026-07-28 an {@code input_required} result the client answers by retrying the call.
 *
 * @param method the client method: {@code elicitation/create}, {@code sampling/createMessage} or
 *     {@code roots/list}
 * @param params its params (an object)
 */
public record McpInput(String method, JsonNode params) {
  /** The client methods an input can name. */
  public static final java.util.List<String> METHODS =
      java.util.List.of("elicitation/create", "sampling/createMessage", "roots/list");

  /** Checks the method and params. */
  public McpInput {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(params, "params");
    if (!METHODS.contains(method)) {
      throw new IllegalArgumentException(
          "McpInput method must be one of " + METHODS + ", got '" + method + "'");
    }
    if (!params.isObject()) {
      throw new IllegalArgumentException("McpInput params must be an object, got " + params);
    }
  }

  /** An elicitation: {@code message} to the user and the {@code requestedSchema} of the answer. */
  public static McpInput elicit(String message, JsonNode requestedSchema) {
    ObjectNode p = McpJson.object().put("message", Objects.requireNonNull(message, "message"));
    p.set("requestedSchema", Objects.requireNonNull(requestedSchema, "requestedSchema"));
    return new McpInput("elicitation/create", p);
  }

  /** A sampling request with {@code params} ({@code messages}, {@code maxTokens}, ...). */
  public static McpInput sample(JsonNode params) {
    return new McpInput("sampling/createMessage", params);
  }

  /** A request for the client's roots. */
  public static McpInput roots() {
    return new McpInput("roots/list", McpJson.object());
  }

  /**
   * The client capability this input needs ({@code elicitation}, {@code sampling} or {@code
   * roots}).
   */
  public String capability() {
    return switch (method) {
      case "elicitation/create" -> "elicitation";
      case "sampling/createMessage" -> "sampling";
      default -> "roots";
    };
  }
}
