package io.servicekit.mcp;

import tools.jackson.databind.JsonNode;

/**
 * Where the dispatcher puts what one request produces: its response and anything sent before it
 * (progress, log messages, server-to-client requests). {@link McpStream} is the session path's
 * (JSON or SSE, with event ids for resumption).
 */
interface ResponseStream {
  /**
   * Sends {@code message}; {@code response} marks one of the responses the stream owes. Returns
   * false when the stream has ended (the message is dropped).
   */
  boolean emit(JsonNode message, boolean response);

  /** Gives up one owed response without sending anything (its request was cancelled). */
  void skipResponse();

  /** Asks the client's current connection to close after what was sent (SEP-1699 polling). */
  void requestDisconnect();
}
