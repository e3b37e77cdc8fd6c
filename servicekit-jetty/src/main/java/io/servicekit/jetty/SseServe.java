package io.servicekit.jetty;

import io.servicekit.Rejection;
import io.servicekit.internal.RequestSnapshot;
import io.servicekit.spi.SseDriver;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseHandler;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseSession;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty {@link Handler} serving Server-Sent Events streams driven by ServiceKit — the Go
 * library's {@code SSEServe(handler, config)}. Mount it in any Jetty 12 handler tree, or with
 * {@link ServiceKitServer.Builder#sse}.
 *
 * <p>Per request, in this order, each refusal being one complete response and no stream started:
 *
 * <ol>
 *   <li>not GET (HEAD, POST, PUT, ...): 405 with {@code Allow: GET};
 *   <li>{@code Last-Event-ID} repeated or longer than {@link SseConfig#maxLastEventIdLength()}:
 *       400;
 *   <li>{@link SseHandler#accept} throws {@link Rejection}: its status, headers and body; {@link
 *       Rejection#noContent()}: 204 (browsers stop reconnecting); anything else or null: 500;
 *   <li>with resumption, the stream-id function refuses: as for {@code accept};
 *   <li>status 200 with {@code Content-Type: text/event-stream}, {@code Cache-Control: no-cache},
 *       {@code Connection: keep-alive} (HTTP/1.1 only) and {@code X-Accel-Buffering: no}; then
 *       {@link SseListener#onOpen} runs, and if it throws the client gets 500 (or the rejection's
 *       status) instead of the stream; otherwise the headers are flushed at once and events follow.
 * </ol>
 *
 * <p>The stream ends when the application closes it (the response completes normally), when the
 * client goes away (Jetty reports the failure, or a write fails), or when the server stops. The
 * connector's idle timeout still applies: keep the keepalive period below it (the defaults, 30 s
 * and {@link ServiceKitServer}'s 120 s, do).
 *
 * <p>{@link #endAll} ends every open stream with a final event; {@link GracefulShutdown} calls it
 * with {@link #SHUTDOWN_EVENT} after its callbacks, so streams the application does not track (no
 * hub) end within the drain instead of being cut at its end.
 */
public final class SseServe extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(SseServe.class);

  /**
   * The final event {@link GracefulShutdown} sends: {@code event: shutdown} with {@code data:
   * {"reason":"server shutting down"}}.
   */
  public static final SseEvent SHUTDOWN_EVENT =
      SseEvent.named("shutdown", "{\"reason\":\"server shutting down\"}");

  private final SseHandler<?> handler;
  private final SseConfig config;
  private final OpenSet<SseDriver, SseEvent> open = new OpenSet<>(SseServe::end);

  private SseServe(SseHandler<?> handler, SseConfig config) {
    super(InvocationType.BLOCKING);
    this.handler = Objects.requireNonNull(handler, "handler");
    this.config = Objects.requireNonNull(config, "config");
  }

  /** A handler for {@code handler} with {@link SseConfig#defaults()}. */
  public static <O> SseServe handler(SseHandler<O> handler) {
    return new SseServe(handler, SseConfig.defaults());
  }

  /** A handler for {@code handler} with {@code config}. */
  public static <O> SseServe handler(SseHandler<O> handler, SseConfig config) {
    return new SseServe(handler, config);
  }

  /** The configuration of this endpoint. */
  public SseConfig config() {
    return config;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    if (!HttpMethod.GET.is(request.getMethod())) {
      ServeSupport.methodNotAllowed(request, response, callback, "SSE endpoint", "GET", "GET");
      return true;
    }
    RequestSnapshot handshake = JettyRequest.of(request);
    SseDriver connection;
    try {
      String lastEventId = SseDriver.lastEventId(handshake, config);
      SseListener<?> listener = handler.accept(handshake);
      if (listener == null) {
        throw new IllegalStateException("accept returned null");
      }
      connection = SseDriver.create(listener, config, handshake, lastEventId);
    } catch (Rejection rejection) {
      LOG.debug("SSE request refused: {}", rejection.getMessage());
      ServeSupport.reject(response, callback, rejection);
      return true;
    } catch (RuntimeException e) {
      LOG.error("SSE accept failed for {}", handshake, e);
      ServeSupport.internalError(response, callback);
      return true;
    }

    ServeSupport.eventStreamHead(request, response, HttpStatus.OK_200);
    JettySseTransport transport =
        JettySseTransport.open(request, response, callback, connection::onTransportFailure);
    open.add(connection, "", connection.session().closeFuture());
    connection.open(transport);
    open.endIfEnding(connection);
    return true;
  }

  /** The streams of this endpoint open now. */
  public int openStreams() {
    return open.size();
  }

  /**
   * Sends {@code finalEvent} (directly, never stored for replay) to every open stream of this
   * endpoint, then ends it gracefully (what is queued is written first); with {@code alsoLater},
   * streams that open from now on are ended the same way as they open. The stage completes when all
   * of them have ended.
   */
  public CompletableFuture<Void> endAll(SseEvent finalEvent, boolean alsoLater) {
    return open.endAll(Objects.requireNonNull(finalEvent, "finalEvent"), alsoLater);
  }

  private static void end(SseDriver connection, SseEvent finalEvent) {
    SseSession<?> session = connection.session();
    if (session.isOpen()) {
      session.sendDirect(finalEvent);
      session.close();
    }
  }

  @Override
  protected void doStart() throws Exception {
    open.reset();
    super.doStart();
  }
}
