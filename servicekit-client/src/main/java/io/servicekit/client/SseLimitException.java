package io.servicekit.client;

/**
 * A server sent an SSE line or event larger than the client's limit ({@code maxLineBytes} / {@code
 * maxEventBytes}). The stream is abandoned: reading on could exhaust memory.
 */
public class SseLimitException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public SseLimitException(String message) {
    super(message);
  }
}
