package io.servicekit.jetty.middleware;

import io.servicekit.OriginPolicy;
import io.servicekit.jetty.Responses;
import java.util.Objects;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses WebSocket upgrades from browser origins that are not allowed ({@link OriginPolicy}):
 * <b>403</b> {@code {"error":"origin not allowed"}}. Upgrades without an {@code Origin} come from
 * non-browser clients and pass, as with {@code WsConfig}'s origin policy; by default other requests
 * pass, as upstream.
 *
 * <p>Options: {@link #checkingAllRequests()} applies the check to every request that carries an
 * {@code Origin} (the Go library checked upgrades only: W-78); {@link #withDnsRebindingCheck()}
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

  private OriginChecker(OriginPolicy patterns, boolean allRequests, boolean dnsRebinding) {
    this.patterns = Objects.requireNonNull(patterns, "patterns");
    this.allRequests = allRequests;
    this.dnsRebinding = dnsRebinding;
  }

  /** A checker allowing {@code patterns}. */
  public static OriginChecker allowing(OriginPolicy patterns) {
    return new OriginChecker(patterns, false, false);
  }

  /**
   * A checker allowing only local development origins (upstream {@code NewLocalhostOriginChecker}).
   */
  public static OriginChecker localhost() {
    return allowing(OriginPolicy.localhost());
  }

  /** This checker applied to every request with an {@code Origin}, not only upgrades. */
  public OriginChecker checkingAllRequests() {
    return new OriginChecker(patterns, true, dnsRebinding);
  }

  /** This checker also refusing requests without {@code Origin} to a non-loopback {@code Host}. */
  public OriginChecker withDnsRebindingCheck() {
    return new OriginChecker(patterns, allRequests, true);
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
    return new Handler.Wrapper(next) {
      @Override
      public boolean handle(Request request, Response response, Callback callback)
          throws Exception {
        if (allows(request)) {
          return super.handle(request, response, callback);
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
      }
    };
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
}
