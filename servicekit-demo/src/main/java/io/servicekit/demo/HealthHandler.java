package io.servicekit.demo;

import io.servicekit.jetty.Responses;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** {@code GET|HEAD /healthz}: 200 {@code {"status":"ok"}} while the server runs; 405 otherwise. */
public final class HealthHandler extends Handler.Abstract.NonBlocking {
  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String method = request.getMethod();
    if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
      HttpHandlers.methodNotAllowed(response, callback, method, "GET, HEAD");
      return true;
    }
    Responses.json(response, callback, HttpStatus.OK_200, "{\"status\":\"ok\"}");
    return true;
  }
}
