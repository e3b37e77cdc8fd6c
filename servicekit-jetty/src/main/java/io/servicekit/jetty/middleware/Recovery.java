package io.servicekit.jetty.middleware;

import io.servicekit.jetty.Responses;
import java.nio.channels.ClosedChannelException;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an exception from the wrapped handler (thrown, or passed to the request's callback) into
 * <b>500</b> {@code {"error":"internal server error"}} ({@code application/json}) and an error log
 * record {@code Panic recovered} with {@code component=recovery}, method, path, ip and the stack.
 * Later requests are unaffected.
 *
 * <p>Unlike the Go library (W-81): when the response is already committed it writes nothing (a
 * second status line would corrupt the stream) and lets Jetty abort the connection; a client abort
 * (the peer closed the connection: {@code EofException}, {@code ClosedChannelException}) is passed
 * on untouched and not logged as an error; JVM errors other than {@code StackOverflowError} are not
 * caught.
 */
public final class Recovery implements Middleware {
  private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

  private Recovery() {}

  /** The middleware. */
  public static Recovery create() {
    return new Recovery();
  }

  @Override
  public Handler wrap(Handler next) {
    return Wrappers.around(
        next,
        (request, response, callback, chain) -> {
          Callback guarded =
              new Callback.Nested(callback) {
                @Override
                public void failed(Throwable x) {
                  if (isClientAbort(x) || response.isCommitted()) {
                    super.failed(x);
                  } else {
                    recover(x, request, response, callback);
                  }
                }
              };
          try {
            return chain.handle(request, response, guarded);
          } catch (Exception | StackOverflowError | AssertionError e) {
            if (isClientAbort(e) || response.isCommitted()) {
              callback.failed(e);
            } else {
              recover(e, request, response, callback);
            }
            return true;
          }
        });
  }

  private static void recover(
      Throwable error, Request request, Response response, Callback callback) {
    LOG.atError()
        .setMessage("Panic recovered")
        .addKeyValue("component", "recovery")
        .addKeyValue("error", String.valueOf(error))
        .addKeyValue("method", request.getMethod())
        .addKeyValue("path", request.getHttpURI().getPath())
        .addKeyValue("ip", ClientIpExtractor.clientIp(request))
        .setCause(error)
        .log();
    try {
      response.reset();
    } catch (IllegalStateException e) {
      callback.failed(error);
      return;
    }
    Responses.json(response, callback, 500, "{\"error\":\"internal server error\"}");
  }

  static boolean isClientAbort(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof EofException || c instanceof ClosedChannelException) {
        return true;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return false;
  }
}
