package io.servicekit.jetty.middleware;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Small handlers for tests. */
final class Handlers {
  private Handlers() {}

  /** Answers 200 {@code body} and counts calls. */
  static final class Ok extends Handler.Abstract {
    final AtomicInteger calls = new AtomicInteger();
    private final String body;

    Ok(String body) {
      this.body = body;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      calls.incrementAndGet();
      text(response, callback, 200, body);
      return true;
    }
  }

  static Ok ok() {
    return new Ok("ok");
  }

  /** Runs {@code action} (which may throw) and then answers 200. */
  static Handler running(ThrowingConsumer<Request> action) {
    return new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback)
          throws Exception {
        action.accept(request);
        text(response, callback, 200, "ok");
        return true;
      }
    };
  }

  /** Reads the whole body (failing the callback if the read fails) and echoes its length. */
  static Handler readingBody() {
    return new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        Content.Source.asString(
            request,
            StandardCharsets.UTF_8,
            new org.eclipse.jetty.util.Promise<String>() {
              @Override
              public void succeeded(String s) {
                text(response, callback, 200, "read " + s.length());
              }

              @Override
              public void failed(Throwable x) {
                callback.failed(x);
              }
            });
        return true;
      }
    };
  }

  /** Hands the request to {@code onRequest} and leaves completing it to the test. */
  static Handler holding(Consumer<Runnable> onRequest) {
    return new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        onRequest.accept(() -> text(response, callback, 200, "released"));
        return true;
      }
    };
  }

  static void text(Response response, Callback callback, int status, String body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
  }

  /** A consumer that may throw. */
  interface ThrowingConsumer<T> {
    void accept(T t) throws Exception;
  }
}
