package io.servicekit.mcp;

import io.servicekit.streamable.SingleResponse;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * The JSON-RPC messages of one POST body, each with its kind.
 *
 * @param batch whether the body was a JSON array
 */
record PostBody(boolean batch, List<JsonNode> messages, List<JsonRpc.Kind> kinds) {
  /**
   * The messages of {@code body}; throws for a body that is not JSON or not JSON-RPC, or a batch of
   * more than {@code maxBatchSize} messages.
   */
  static PostBody parse(byte[] body, int maxBatchSize) throws JsonRpcException {
    boolean batch = JsonRpc.isBatch(body);
    List<JsonNode> messages = new ArrayList<>();
    if (batch) {
      messages.addAll(JsonRpc.splitBatch(body));
      if (messages.size() > maxBatchSize) {
        throw new JsonRpcException(
            JsonRpcException.INVALID_REQUEST,
            "JSON-RPC batch of "
                + messages.size()
                + " messages is over maxBatchSize "
                + maxBatchSize
                + " (send smaller batches)");
      }
    } else {
      messages.add(JsonRpc.parse(body));
    }
    List<JsonRpc.Kind> kinds = new ArrayList<>();
    for (JsonNode m : messages) {
      kinds.add(JsonRpc.classify(m));
    }
    return new PostBody(batch, List.copyOf(messages), List.copyOf(kinds));
  }

  /** The 400 answer (-32700 or -32600) for a body {@link #parse} refused. */
  static SingleResponse refusal(JsonRpcException e) {
    return HttpFront.error(
        400,
        e.code(),
        (e.code() == McpError.PARSE_ERROR ? "Parse error: " : "Invalid Request: ")
            + e.getMessage());
  }

  /** The number of requests among the messages. */
  int requestCount() {
    return (int) kinds.stream().filter(k -> k == JsonRpc.Kind.REQUEST).count();
  }

  /** Whether one of the messages is an {@code initialize} request. */
  boolean hasInitialize() {
    for (int i = 0; i < messages.size(); i++) {
      if (kinds.get(i) == JsonRpc.Kind.REQUEST
          && "initialize".equals(messages.get(i).path("method").asString())) {
        return true;
      }
    }
    return false;
  }
}
