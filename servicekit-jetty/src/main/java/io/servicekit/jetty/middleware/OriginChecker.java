package io.servicekit.jetty.middleware;

import io.servicekit.OriginPolicy;
import io.servicekit.jetty.Responses;
import java.util.Objects;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses WebSocket upgrades from browser origins that are not allowed ({@link OriginPolicy}):
 * <b>403</b> {@code {"error":"origin not allowed"}}. Upgrades without an {@code Origin} come from
 * non-browser clients and pass, as with {@code WsConfig}'s origin policy; by default other requests
 * pass, as upstream.
 *
 * <p>Build one with {@link #of(OriginPolicy)} or {@link #builder(OriginPolicy)}: {@link
 * Builder#checkingAllRequests(boolean)} applies the check to every request that carries an {@code
 * Origin} (the Go library checked upgrades only: W-78); {@link Builder#dnsRebindingCheck(boolean)}
 * also refuses requests without an {@code Origin} whose {@code Host} is not a loopback name, for
 * servers meant to be reached only locally (upstream {@code CheckRequest}).
 *
 * <p>Hand-written rather than Jetty's {@code CrossOriginHandler}, which answers a refused upgrade
 * with 400 and a different body.
 */
public final class OriginChecker implements Middleware {
  private static final Logger LOG = LoggerFactory.getLogger(OriginChecker.class);

  private final OriginPolicy patterns;
  private final boolean allRequests;
  private final boolean dnsRebinding;

  private OriginChecker(Builder b) {
    this.patterns = b.patterns;
    this.allRequests = b.allRequests;
    this.dnsRebinding = b.dnsRebinding;
  }

  /** A checker allowing {@code patterns}, for upgrades only, without the DNS rebinding check. */
  public static OriginChecker of(OriginPolicy patterns) {
    return builder(patterns).build();
  }

  /** A builder for a checker allowing {@code patterns}. */
  public static Builder builder(OriginPolicy patterns) {
    return new Builder(patterns);
  }

  /**
   * A checker allowing only local development origins (upstream {@code NewLocalhostOriginChecker}).
   */
  public static OriginChecker localhost() {
    return of(OriginPolicy.localhost());
  }

  /** Whether the check applies to every request with an {@code Origin}, not only upgrades. */
  public boolean checksAllRequests() {
    return allRequests;
  }

  /** Whether requests without {@code Origin} to a non-loopback {@code Host} are refused. */
  public boolean checksDnsRebinding() {
    return dnsRebinding;
  }

  /** The allowed patterns. */
  public OriginPolicy patterns() {
    return patterns;
  }

  /** Whether {@code request} passes this checker. */
  public boolean allows(Request request) {
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    boolean upgrade = isWebSocketUpgrade(request);
    if (origin == null) {
      if (!dnsRebinding) {
        return true;
      }
      String host = request.getHeaders().get(HttpHeader.HOST);
      return patterns.checkRequest(null, host);
    }
    if (!upgrade && !allRequests) {
      return true;
    }
    return patterns.allows(origin, request.getHeaders().get(HttpHeader.HOST));
  }

  @Override
  public Handler wrap(Handler next) {
    return Wrappers.around(
        next,
        (request, response, callback, chain) -> {
          if (allows(request)) {
            return chain.handle(request, response, callback);
          }
          LOG.atWarn()
              .setMessage("origin not allowed")
              .addKeyValue("component", "origin")
              .addKeyValue("origin", String.valueOf(request.getHeaders().get(HttpHeader.ORIGIN)))
              .addKeyValue("ip", ClientIpExtractor.clientIp(request))
              .addKeyValue("path", request.getHttpURI().getPath())
              .log();
          Responses.json(response, callback, 403, "{\"error\":\"origin not allowed\"}");
          return true;
        });
  }

  static boolean isWebSocketUpgrade(Request request) {
    for (String v : request.getHeaders().getValuesList(HttpHeader.UPGRADE)) {
      for (String token : v.split(",")) {
        if (token.trim().equalsIgnoreCase("websocket")) {
          return true;
        }
      }
    }
    return false;
  }

  /** Builds an {@link OriginChecker}; both options are off by default. */
  public static final class Builder {
    private final OriginPolicy patterns;
    private boolean allRequests;
    private boolean dnsRebinding;

    private Builder(OriginPolicy patterns) {
      this.patterns = Objects.requireNonNull(patterns, "patterns");
    }

    /** Apply the check to every request with an {@code Origin}, not only upgrades (default off). */
    public Builder checkingAllRequests(boolean on) {
      allRequests = on;
      return this;
    }

    /**
     * Also refuse requests without {@code Origin} whose {@code Host} is not a loopback name
     * (default off).
     */
    public Builder dnsRebindingCheck(boolean on) {
      dnsRebinding = on;
      return this;
    }

    public OriginChecker build() {
      return new OriginChecker(this);
    }
  }
}
