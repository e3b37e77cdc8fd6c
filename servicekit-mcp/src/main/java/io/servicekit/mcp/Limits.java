package io.servicekit.mcp;

/**
 * The per-request and per-session bounds of a transport (see {@link McpEndpoint.Builder}).
 *
 * @param maxBatchSize most messages in one JSON-RPC batch
 * @param maxAnswerBytes most bytes of the responses to one POST
 * @param maxStreamsPerSession most streams one session holds (running or kept for resumption)
 * @param maxStoredEvents most events one stream keeps for resumption (oldest dropped)
 */
record Limits(int maxBatchSize, int maxAnswerBytes, int maxStreamsPerSession, int maxStoredEvents) {
  /** The bytes of {@code s} in UTF-8, without encoding it. */
  static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isSurrogate(c)) {
        n += 2; // a pair is 4 bytes
      } else {
        n += 3;
      }
    }
    return n;
  }
}
