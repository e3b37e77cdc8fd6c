package io.servicekit.redis;

/** Redis could not be reached when connecting; the message names the URI and the cause. */
public final class RedisUnavailableException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  RedisUnavailableException(String uri, Throwable cause) {
    super(
        "cannot reach Redis at "
            + uri
            + " ("
            + cause.getMessage()
            + "); start Redis, fix the address, or allow running without it"
            + " (RedisBroker.Builder.connectOrLocal)",
        cause);
  }
}
