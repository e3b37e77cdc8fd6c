package io.servicekit.jetty.middleware;

import io.servicekit.jetty.Responses;
import io.servicekit.middleware.ContentTypeRule;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;

/**
 * Refuses POST, PUT and PATCH requests whose {@code Content-Type} is not one of the accepted media
 * types ({@link ContentTypeRule}: parsed, case-insensitive, parameters ignored) with <b>415</b> and
 * upstream's text {@code Content-Type must be one of: a, b}. Other methods (so WebSocket upgrades
 * and SSE GETs) pass.
 */
public final class RequireContentType implements Middleware {
  private final ContentTypeRule rule;

  private RequireContentType(ContentTypeRule rule) {
    this.rule = rule;
  }

  /** Accepts {@code mediaTypes}, e.g. {@code application/json}. */
  public static RequireContentType of(String... mediaTypes) {
    return new RequireContentType(ContentTypeRule.accepting(mediaTypes));
  }

  @Override
  public Handler wrap(Handler next) {
    return Wrappers.around(
        next,
        (request, response, callback, chain) -> {
          if (rule.applies(request.getMethod())
              && !rule.accepts(request.getHeaders().get(HttpHeader.CONTENT_TYPE))) {
            Responses.text(response, callback, 415, rule.message() + "\n", Map.of());
            return true;
          }
          return chain.handle(request, response, callback);
        });
  }
}
