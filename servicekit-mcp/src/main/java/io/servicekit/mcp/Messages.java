package io.servicekit.mcp;

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

  /** A notification {@code method} with {@code params} (none when null). */
  static ObjectNode notification(String method, JsonNode params) {
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
  static ObjectNode errorResponse(JsonNode id, int code, String message, JsonNode data) {
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
