package io.servicekit.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;

/** Shared Lettuce set-up: fail-fast commands while disconnected, constant reconnect delay. */
final class RedisSupport {
  private RedisSupport() {}

  /**
   * Parses {@code redis://host:port[/db]}.
   *
   * @throws IllegalArgumentException naming the value
   */
  static RedisURI uri(String uri, Duration commandTimeout) {
    if (uri == null || uri.isBlank()) {
      throw new IllegalArgumentException("Redis URI must be like redis://host:port, got " + uri);
    }
    if (!uri.startsWith("redis://") && !uri.startsWith("rediss://")) {
      throw new IllegalArgumentException(
          "Redis URI must start with redis:// or rediss://, got \"" + uri + "\"");
    }
    try {
      RedisURI u = RedisURI.create(uri);
      u.setTimeout(commandTimeout);
      return u;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "Redis URI must be like redis://host:port, got \"" + uri + "\": " + e.getMessage(), e);
    }
  }

  static RedisClient client(RedisURI uri, Duration connectTimeout, Duration reconnectDelay) {
    ClientResources resources =
        ClientResources.builder().reconnectDelay(Delay.constant(reconnectDelay)).build();
    RedisClient client = RedisClient.create(resources, uri);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            // At most once: while disconnected, commands fail at once instead of piling up.
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).build())
            // Asynchronous commands time out too (after the URI's command timeout), so a stalled
            // Redis fails a caller's future instead of leaving it pending forever.
            .timeoutOptions(TimeoutOptions.enabled())
            .build());
    return client;
  }

  static void shutdown(RedisClient client) {
    ClientResources resources = client.getResources();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
  }

  /** Whether {@code e} (or its cause) is a command timeout: the outcome is unknown, not failed. */
  static boolean isTimeout(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof io.lettuce.core.RedisCommandTimeoutException
          || t instanceof java.util.concurrent.TimeoutException) {
        return true;
      }
    }
    return false;
  }
}
