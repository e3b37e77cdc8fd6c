package io.servicekit.mcp;

import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Builders of the JSON-RPC messages the server sends. */
final class Messages {
  private Messages() {}

  /**
   * A short random id for one failure, given to the client and written in the server's log line
   * with the stack trace, so the two can be matched without the exception's text reaching the
   * client.
   */
  static String newErrorId() {
    return String.format("%08x", java.util.concurrent.ThreadLocalRandom.current().nextInt());
  }

  /** The index of {@code level} in {@link ClientState#LEVELS}; throws for an unknown level. */
  static int logLevel(String level) {
    int index = ClientState.LEVELS.indexOf(level);
    if (index < 0) {
      throw new IllegalArgumentException(
          "unknown MCP log level '" + level + "' (one of " + ClientState.LEVELS + ")");
    }
    return index;
  }

  /** {@code notifications/progress} for {@code token}. */
  static ObjectNode progress(JsonNode token, double progress, Double total, String message) {
    ObjectNode p = McpJson.object();
    p.set("progressToken", token);
    p.put("progress", progress);
    if (total != null) {
      p.put("total", total);
    }
    if (message != null) {
      p.put("message", message);
    }
    return notification("notifications/progress", p);
  }

  /** {@code notifications/message} at {@code level}. */
  static ObjectNode log(String level, String logger, JsonNode data) {
    ObjectNode p = McpJson.object().put("level", level);
    if (logger != null) {
      p.put("logger", logger);
    }
    p.set("data", data);
    return notification("notifications/message", p);
  }

  /** An "Internal error (error id X)" response with {@code data.errorId}, for a logged failure. */
  static ObjectNode internalError(JsonNode id, String errorId) {
    return errorResponse(
        id,
        McpError.INTERNAL_ERROR,
        "Internal error (error id " + errorId + ")",
        McpJson.object().put("errorId", errorId));
  }

  /**
   * The answer for {@code key} among {@code answers} (what {@link McpContext#inputs} returned); an
   * override of {@code inputs} that leaves a key out is a bug, named here.
   */
  static JsonNode answerOf(String key, Map<String, JsonNode> answers) {
    JsonNode answer = answers.get(key);
    if (answer == null) {
      throw new IllegalStateException("McpContext.inputs gave no answer for key '" + key + "'");
    }
    return answer;
  }

  /** A notification {@code method} with {@code params} (none when null). */
  static ObjectNode notification(String method, @Nullable JsonNode params) {
    ObjectNode n = McpJson.object().put("jsonrpc", "2.0").put("method", method);
    if (params != null) {
      n.set("params", params);
    }
    return n;
  }

  /** A successful response to request {@code id}. */
  static ObjectNode result(JsonNode id, JsonNode result) {
    ObjectNode ok = McpJson.object().put("jsonrpc", "2.0");
    ok.set("id", id);
    ok.set("result", result);
    return ok;
  }

  /** An error response to request {@code id} (null id when the request's is unknown). */
  static ObjectNode errorResponse(
      @Nullable JsonNode id, int code, String message, @Nullable JsonNode data) {
    ObjectNode out = McpJson.object().put("jsonrpc", "2.0");
    out.set("id", id == null ? McpJson.MAPPER.nullNode() : id);
    ObjectNode e = out.putObject("error").put("code", code).put("message", message);
    if (data != null) {
      e.set("data", data);
    }
    return out;
  }

  /** A server-to-client request. */
  static ObjectNode request(String id, String method, JsonNode params) {
    ObjectNode r = McpJson.object().put("jsonrpc", "2.0").put("id", id).put("method", method);
    if (params != null) {
      r.set("params", params);
    }
    return r;
  }
}
