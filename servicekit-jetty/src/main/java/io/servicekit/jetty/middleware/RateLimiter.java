package io.servicekit.jetty.middleware;

import io.servicekit.jetty.Responses;
import io.servicekit.middleware.RateLimitConfig;
import io.servicekit.middleware.RateLimitPolicy;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Token-bucket rate limiting ({@link RateLimitPolicy}: global and per key). A refused request gets
 * <b>429</b> {@code {"error":"rate limit exceeded"}} ({@code application/json}) with {@code
 * Retry-After} in whole seconds (the Go library sent none: W-76). For a WebSocket route the limit
 * applies to handshakes; for SSE to stream openings.
 *
 * <p>The key is the client IP by default ({@link ClientIpExtractor#clientIp}: the socket address
 * unless a {@link ClientIpExtractor} with trusted proxies ran before). Hand-written rather than
 * Jetty's {@code QoSHandler} (which limits concurrency, not rate) or {@code DoSHandler} (no per-key
 * burst/refill settings, no {@code Retry-After}): the upstream semantics are a token bucket per
 * key.
 */
public final class RateLimiter implements Middleware {
  private static final Logger LOG = LoggerFactory.getLogger(RateLimiter.class);

  private final RateLimitPolicy policy;
  private final Function<Request, String> keyFunction;
  private final Consumer<String> onRejected;

  private RateLimiter(
      RateLimitPolicy policy, Function<Request, String> keyFunction, Consumer<String> onRejected) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.keyFunction = Objects.requireNonNull(keyFunction, "keyFunction");
    this.onRejected = Objects.requireNonNull(onRejected, "onRejected");
  }

  /** A limiter with {@code config}, keyed by client IP. */
  public static RateLimiter of(RateLimitConfig config) {
    return of(new RateLimitPolicy(config));
  }

  /** A limiter on {@code policy} (e.g. one with a test clock), keyed by client IP. */
  public static RateLimiter of(RateLimitPolicy policy) {
    return new RateLimiter(policy, ClientIpExtractor::clientIp, key -> {});
  }

  /** This limiter keyed by {@code keyFunction} (a null key counts as ""); state is shared. */
  public RateLimiter keyedBy(Function<Request, String> keyFunction) {
    return new RateLimiter(policy, keyFunction, onRejected);
  }

  /** This limiter calling {@code callback} with the key of every refused request. */
  public RateLimiter onRejected(Consumer<String> callback) {
    return new RateLimiter(policy, keyFunction, callback);
  }

  /** The policy (its buckets are shared by every route this limiter wraps). */
  public RateLimitPolicy policy() {
    return policy;
  }

  @Override
  public Handler wrap(Handler next) {
    return Wrappers.around(
        next,
        (request, response, callback, chain) -> {
          String key = keyFunction.apply(request);
          if (key == null) {
            key = "";
          }
          RateLimitPolicy.Decision decision = policy.check(key);
          if (decision.allowed()) {
            return chain.handle(request, response, callback);
          }
          try {
            onRejected.accept(key);
          } catch (RuntimeException e) {
            LOG.warn("rate limiter onRejected callback failed", e);
          }
          LOG.atWarn()
              .setMessage("rate limit exceeded")
              .addKeyValue("component", "ratelimit")
              .addKeyValue("key", key)
              .addKeyValue("limit", decision.limit())
              .addKeyValue("path", request.getHttpURI().getPath())
              .log();
          Responses.json(
              response,
              callback,
              429,
              "{\"error\":\"rate limit exceeded\"}",
              Map.of("Retry-After", Long.toString(decision.retryAfterSeconds())));
          return true;
        });
  }
}
