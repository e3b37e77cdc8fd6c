package io.servicekit.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Serves the demo page, one HTML file from the class path, at {@code /} and {@code /index.html}.
 * Mounted as the default route, it answers every other path with 404, and methods other than GET
 * and HEAD with 405. The page is read once, when the handler is created.
 */
public final class StaticPageHandler extends Handler.Abstract.NonBlocking {
  /** Class-path location of the demo page. */
  public static final String PAGE = "static/index.html";

  private final byte[] page;

  /** Loads {@link #PAGE}; fails at once if it is missing from the class path. */
  public StaticPageHandler() {
    try (InputStream in = StaticPageHandler.class.getClassLoader().getResourceAsStream(PAGE)) {
      if (in == null) {
        throw new IllegalStateException("demo page not found on the class path: " + PAGE);
      }
      page = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + PAGE, e);
    }
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String method = request.getMethod();
    if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
      HttpHandlers.methodNotAllowed(response, callback, method, "GET, HEAD");
      return true;
    }
    String path = Request.getPathInContext(request);
    if (!path.equals("/") && !path.equals("/index.html")) {
      HttpHandlers.error(response, callback, HttpStatus.NOT_FOUND_404, "not found: " + path);
      return true;
    }
    response.setStatus(HttpStatus.OK_200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.write(true, ByteBuffer.wrap(page).asReadOnlyBuffer(), callback);
    return true;
  }
}
