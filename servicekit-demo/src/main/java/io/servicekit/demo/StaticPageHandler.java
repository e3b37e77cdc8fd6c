package io.servicekit.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Serves the demo's static files from the class path: the demo page at {@code /} and {@code
 * /index.html}, the chat page at {@code /chat.html}, the channels page at {@code /channels.html},
 * and the JavaScript client's browser bundle (built from {@code clients/js}) at {@code
 * /js/servicekit.js} (a script defining the global {@code ServiceKit}) and {@code
 * /js/servicekit.mjs} (an ES module). Mounted as the default route, it answers every other path
 * with 404, and methods other than GET and HEAD with 405. The files are read once, when the handler
 * is created; a missing page fails at once, a missing bundle (the build did not run {@code npm run
 * build} in {@code clients/js}) answers 404 naming the fix.
 */
public final class StaticPageHandler extends Handler.Abstract.NonBlocking {
  /** Class-path location of the demo page. */
  public static final String PAGE = "static/index.html";

  /** Class-path location of the chat page. */
  public static final String CHAT_PAGE = "static/chat.html";

  /** Class-path location of the channels page. */
  public static final String CHANNELS_PAGE = "static/channels.html";

  /** Class-path location of the browser bundle (copied there by the demo's build). */
  public static final String BUNDLE = "static/js/servicekit.js";

  private static final String HTML = "text/html; charset=utf-8";
  private static final String JS = "text/javascript; charset=utf-8";

  private record File(String resource, String contentType, byte[] bytes) {}

  private final Map<String, File> files;

  /** Loads the pages and the bundle; fails at once if a page is missing from the class path. */
  public StaticPageHandler() {
    File index = load(PAGE, HTML, true);
    files =
        Map.of(
            "/",
            index,
            "/index.html",
            index,
            "/chat.html",
            load(CHAT_PAGE, HTML, true),
            "/channels.html",
            load(CHANNELS_PAGE, HTML, true),
            "/js/servicekit.js",
            load(BUNDLE, JS, false),
            "/js/servicekit.mjs",
            load("static/js/servicekit.mjs", JS, false));
  }

  private static File load(String resource, String contentType, boolean required) {
    try (InputStream in = StaticPageHandler.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        if (required) {
          throw new IllegalStateException("demo page not found on the class path: " + resource);
        }
        return new File(resource, contentType, null);
      }
      return new File(resource, contentType, in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
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
    File file = files.get(path);
    if (file == null) {
      HttpHandlers.error(response, callback, HttpStatus.NOT_FOUND_404, "not found: " + path);
      return true;
    }
    if (file.bytes() == null) {
      HttpHandlers.error(
          response,
          callback,
          HttpStatus.NOT_FOUND_404,
          "not built: "
              + file.resource()
              + " is missing from the class path; build the JavaScript client first"
              + " (mvn -pl servicekit-demo -am compile)");
      return true;
    }
    response.setStatus(HttpStatus.OK_200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, file.contentType());
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.write(true, ByteBuffer.wrap(file.bytes()).asReadOnlyBuffer(), callback);
    return true;
  }
}
