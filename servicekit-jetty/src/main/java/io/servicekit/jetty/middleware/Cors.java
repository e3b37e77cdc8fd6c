package io.servicekit.jetty.middleware;

import io.servicekit.OriginPolicy;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.CrossOriginHandler;

/**
 * CORS on Jetty's {@link CrossOriginHandler}, configured with the Go library's defaults and origin
 * patterns ({@link OriginPolicy}, turned into the regular expressions Jetty takes, which match
 * exactly what {@link OriginPolicy#matches} does; the policy's same-origin rule is not used, as a
 * same-origin request needs no CORS headers).
 *
 * <ul>
 *   <li>An allowed {@code Origin} is reflected in {@code Access-Control-Allow-Origin} (never {@code
 *       *}); a refused one gets no CORS headers and the browser blocks the response; the request
 *       still reaches the handler, as upstream.
 *   <li>{@code Vary: Origin} on every response, allowed or not (upstream only when allowed: W-79).
 *   <li>Only real preflights ({@code OPTIONS} with {@code Origin} and {@code
 *       Access-Control-Request-Method}) are answered here, with <b>204</b> and the allowed methods
 *       and headers; other {@code OPTIONS} requests reach the handler (upstream answered every
 *       {@code OPTIONS} with 204 and sent the method/header lists on every response: W-79).
 *   <li>Optional {@code Access-Control-Allow-Credentials} and {@code Access-Control-Max-Age}
 *       (upstream had neither: W-79); both off by default.
 *   <li>WebSocket upgrades are left to {@link OriginChecker} (Jetty would answer a refused one with
 *       400).
 * </ul>
 *
 * Two adaptations of Jetty's handler, both because upstream's wire behaviour differs: a preflight's
 * status is set to 204 before Jetty completes it (Jetty leaves 200), and refused WebSocket upgrades
 * are delivered on so that {@link OriginChecker} can answer 403 with upstream's body.
 */
public final class Cors implements Middleware {
  private final OriginPolicy origins;
  private final List<String> methods;
  private final List<String> headers;
  private final List<String> exposed;
  private final boolean credentials;
  private final Duration maxAge;

  private Cors(
      OriginPolicy origins,
      List<String> methods,
      List<String> headers,
      List<String> exposed,
      boolean credentials,
      Duration maxAge) {
    this.origins = Objects.requireNonNull(origins, "origins");
    this.methods = List.copyOf(methods);
    this.headers = List.copyOf(headers);
    this.exposed = List.copyOf(exposed);
    this.credentials = credentials;
    this.maxAge = maxAge;
    if (origins.toRegexes().isEmpty()) {
      throw new IllegalArgumentException(
          "CORS needs listed origins (" + origins + " has none): use OriginPolicy.of(...)");
    }
    if (credentials && origins.allowsAny()) {
      throw new IllegalArgumentException(
          "CORS credentials with every origin allowed would let any site read authenticated"
              + " responses: list the allowed origins");
    }
    if (maxAge.isNegative()) {
      throw new IllegalArgumentException("CORS max-age must be >= 0: " + maxAge);
    }
  }

  /**
   * CORS for {@code origins} with upstream's defaults: methods {@code GET, POST, OPTIONS}, headers
   * {@code Content-Type, Authorization}, nothing exposed, no credentials, no max-age.
   */
  public static Cors allowing(OriginPolicy origins) {
    return new Cors(
        origins,
        List.of("GET", "POST", "OPTIONS"),
        List.of("Content-Type", "Authorization"),
        List.of(),
        false,
        Duration.ZERO);
  }

  /** These settings with the allowed methods replaced. */
  public Cors allowMethods(String... list) {
    return new Cors(origins, List.of(list), headers, exposed, credentials, maxAge);
  }

  /** These settings with the allowed request headers replaced. */
  public Cors allowHeaders(String... list) {
    return new Cors(origins, methods, List.of(list), exposed, credentials, maxAge);
  }

  /** These settings with the exposed response headers replaced. */
  public Cors exposeHeaders(String... list) {
    return new Cors(origins, methods, headers, List.of(list), credentials, maxAge);
  }

  /** These settings with {@code Access-Control-Allow-Credentials: true} (needs listed origins). */
  public Cors allowCredentials() {
    return new Cors(origins, methods, headers, exposed, true, maxAge);
  }

  /** These settings with {@code Access-Control-Max-Age} on preflights ({@code 0} = none). */
  public Cors maxAge(Duration age) {
    return new Cors(origins, methods, headers, exposed, credentials, Objects.requireNonNull(age));
  }

  @Override
  public Handler wrap(Handler next) {
    CrossOriginHandler cors = new CrossOriginHandler();
    cors.setAllowedOriginPatterns(new LinkedHashSet<>(origins.toRegexes()));
    cors.setAllowedMethods(new LinkedHashSet<>(methods));
    cors.setAllowedHeaders(new LinkedHashSet<>(headers));
    cors.setExposedHeaders(new LinkedHashSet<>(exposed));
    cors.setAllowCredentials(credentials);
    cors.setPreflightMaxAge(maxAge);
    cors.setDeliverPreflightRequests(false);
    cors.setDeliverNonAllowedOriginRequests(true);
    cors.setDeliverNonAllowedOriginWebSocketUpgradeRequests(true);
    cors.setHandler(next);
    return Wrappers.around(
        cors,
        (request, response, callback, chain) -> {
          String origin = request.getHeaders().get(HttpHeader.ORIGIN);
          if (origin != null && origin.strip().indexOf(' ') >= 0) {
            // A list of origins is not a serialized origin, so the policy refuses it; Jetty would
            // match each entry of the list on its own: answer as for any refused origin.
            response.getHeaders().add(HttpHeader.VARY, HttpHeader.ORIGIN.asString());
            if (isPreflight(request)) {
              response.setStatus(204);
              callback.succeeded();
              return true;
            }
            return next.handle(request, response, callback);
          }
          if (isPreflight(request)) {
            response.setStatus(204); // Jetty completes preflights without setting a status (200)
          }
          return chain.handle(request, response, callback);
        });
  }

  static boolean isPreflight(Request request) {
    return HttpMethod.OPTIONS.is(request.getMethod())
        && request.getHeaders().contains(HttpHeader.ORIGIN)
        && request.getHeaders().contains(HttpHeader.ACCESS_CONTROL_REQUEST_METHOD);
  }

  /** The configured methods (for documentation and tests). */
  public Set<String> methods() {
    return new LinkedHashSet<>(methods);
  }
}
