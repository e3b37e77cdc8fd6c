package io.servicekit.jetty.middleware;

import io.servicekit.jetty.Responses;
import io.servicekit.jetty.StreamLifetime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Limits concurrent requests and connections: beyond {@code max}, <b>503</b> {@code {"error":"too
 * many connections"}}. A plain request counts until its response completes, an SSE stream until it
 * ends, and a WebSocket <em>for the lifetime of the connection</em> (through {@link
 * StreamLifetime}), as upstream, where {@code WSServe} blocked until the connection ended.
 *
 * <p>{@link #perAddress} counts per client address instead ({@link ClientIpExtractor#clientIp}: put
 * a {@link ClientIpExtractor} before it when behind a proxy): beyond {@code max} from one address,
 * <b>503</b> {@code {"error":"too many connections from 203.0.113.7 (max 100 per address)"}}, so
 * that one client cannot take every slot of the global limit.
 *
 * <p>Hand-written: Jetty's {@code ConnectionLimit} caps TCP connections by not accepting (no 503,
 * and keep-alive connections count while idle), and {@code QoSHandler} queues excess requests and
 * releases a WebSocket's permit at the upgrade.
 */
public final class ConnLimiter implements Middleware {
  private static final Logger LOG = LoggerFactory.getLogger(ConnLimiter.class);

  private final int max;
  private final boolean perAddress;
  private final AtomicInteger active = new AtomicInteger();
  private final Map<String, Integer> byAddress = new ConcurrentHashMap<>(); // absent = 0

  private ConnLimiter(int max, boolean perAddress) {
    this.max = max;
    this.perAddress = perAddress;
  }

  /**
   * A limiter admitting {@code max} at once.
   *
   * @throws IllegalArgumentException if {@code max < 1} (leave the limiter out to disable it)
   */
  public static ConnLimiter of(int max) {
    if (max < 1) {
      throw new IllegalArgumentException(
          "ConnLimiter max must be >= 1 (leave it out of the Guard to disable it): " + max);
    }
    return new ConnLimiter(max, false);
  }

  /**
   * A limiter admitting {@code max} at once from each client address.
   *
   * @throws IllegalArgumentException if {@code max < 1} (leave the limiter out to disable it)
   */
  public static ConnLimiter perAddress(int max) {
    if (max < 1) {
      throw new IllegalArgumentException(
          "ConnLimiter perAddress max must be >= 1 (leave it out of the Guard to disable it): "
              + max);
    }
    return new ConnLimiter(max, true);
  }

  /** Whether the limit is per client address. */
  public boolean isPerAddress() {
    return perAddress;
  }

  /** Requests and connections holding a slot now from {@code address} (per-address limiters). */
  public int active(String address) {
    return byAddress.getOrDefault(address, 0);
  }

  /** Requests and connections holding a slot now (all addresses). */
  public int active() {
    return active.get();
  }

  /** The limit. */
  public int max() {
    return max;
  }

  @Override
  public Handler wrap(Handler next) {
    return Wrappers.around(
        next,
        (request, response, callback, chain) -> {
          String ip = ClientIpExtractor.clientIp(request);
          if (!acquire(ip)) {
            LOG.atWarn()
                .setMessage(
                    perAddress
                        ? "per-address connection limit reached"
                        : "connection limit reached")
                .addKeyValue("component", "connlimit")
                .addKeyValue("active", perAddress ? active(ip) : active.get())
                .addKeyValue("max", max)
                .addKeyValue("ip", ip)
                .log();
            String error =
                perAddress
                    ? "too many connections from " + jsonSafe(ip) + " (max " + max + " per address)"
                    : "too many connections";
            Responses.json(response, callback, 503, "{\"error\":\"" + error + "\"}");
            return true;
          }
          AtomicBoolean released = new AtomicBoolean();
          AtomicBoolean longLived = new AtomicBoolean();
          Runnable release =
              () -> {
                if (released.compareAndSet(false, true)) {
                  release(ip);
                }
              };
          StreamLifetime.whenLongLived(
              request,
              end -> {
                longLived.set(true);
                end.whenComplete((r, x) -> release.run());
              });
          Callback tracked =
              Callbacks.before(
                  callback,
                  failure -> {
                    if (!longLived.get()) {
                      release.run();
                    }
                  });
          try {
            boolean handled = chain.handle(request, response, tracked);
            if (!handled) {
              release.run();
            }
            return handled;
          } catch (Throwable t) {
            release.run();
            throw t;
          }
        });
  }

  private boolean acquire(String ip) {
    if (!perAddress) {
      if (active.incrementAndGet() > max) {
        active.decrementAndGet();
        return false;
      }
      return true;
    }
    boolean[] admitted = new boolean[1];
    byAddress.compute(
        ip,
        (k, n) -> {
          int now = n == null ? 0 : n;
          admitted[0] = now < max;
          return admitted[0] ? now + 1 : n;
        });
    if (admitted[0]) {
      active.incrementAndGet();
    }
    return admitted[0];
  }

  private void release(String ip) {
    active.decrementAndGet();
    if (perAddress) {
      byAddress.computeIfPresent(ip, (k, n) -> n <= 1 ? null : n - 1);
    }
  }

  private static String jsonSafe(String s) {
    return s.replaceAll("[^0-9A-Za-z.:\\[\\]%_-]", "?");
  }
}
