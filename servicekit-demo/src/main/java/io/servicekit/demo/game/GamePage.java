package io.servicekit.demo.game;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Serves {@code static/game.html} at {@code /game/{id}}; {@code /game/} redirects (307) to a random
 * game. Other ids answer 404, other methods 405. Stopping the handler stops the game's gRPC server.
 */
final class GamePage extends Handler.Abstract.NonBlocking {
  static final String PAGE = "static/game.html";
  private static final Pattern PATH = Pattern.compile("/game/[A-Za-z0-9._-]{1,64}");

  private final byte[] page;
  private final Runnable onStop;

  GamePage(Runnable onStop) {
    this.onStop = onStop;
    try (InputStream in = GamePage.class.getClassLoader().getResourceAsStream(PAGE)) {
      if (in == null) {
        throw new IllegalStateException("game page not found on the class path: " + PAGE);
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
      response.setStatus(HttpStatus.METHOD_NOT_ALLOWED_405);
      response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
      response.write(
          true,
          ByteBuffer.wrap(
              ("method " + method + " not allowed; use GET\n").getBytes(StandardCharsets.UTF_8)),
          callback);
      return true;
    }
    String path = request.getHttpURI().getDecodedPath();
    if (path.equals("/game/") || path.equals("/game")) {
      response.setStatus(HttpStatus.TEMPORARY_REDIRECT_307);
      response
          .getHeaders()
          .put(HttpHeader.LOCATION, "/game/game-" + ThreadLocalRandom.current().nextInt(1000));
      callback.succeeded();
      return true;
    }
    if (!PATH.matcher(path).matches()) {
      response.setStatus(HttpStatus.NOT_FOUND_404);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
      response.write(
          true,
          ByteBuffer.wrap(
              ("not found: game ids are 1-64 of [A-Za-z0-9._-], got " + path + "\n")
                  .getBytes(StandardCharsets.UTF_8)),
          callback);
      return true;
    }
    response.setStatus(HttpStatus.OK_200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.write(true, ByteBuffer.wrap(page).asReadOnlyBuffer(), callback);
    return true;
  }

  @Override
  protected void doStop() throws Exception {
    onStop.run();
    super.doStop();
  }
}
