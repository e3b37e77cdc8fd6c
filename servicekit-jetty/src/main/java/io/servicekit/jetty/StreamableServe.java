package io.servicekit.jetty;

import io.servicekit.Rejection;
import io.servicekit.internal.RequestSnapshot;
import io.servicekit.spi.StreamableDriver;
import io.servicekit.streamable.GracefulHandler;
import io.servicekit.streamable.SingleResponse;
import io.servicekit.streamable.StreamResponse;
import io.servicekit.streamable.StreamableConfig;
import io.servicekit.streamable.StreamableHandler;
import io.servicekit.streamable.StreamableRequest;
import io.servicekit.streamable.StreamableResponse;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty {@link Handler} for the "POST that optionally streams" pattern of MCP Streamable HTTP —
 * the Go library's {@code StreamableServe(handler, config)}: one endpoint answers each request
 * either with a single body (typically JSON, or an empty 202) or with a {@code text/event-stream}
 * fed by a producer. Mount it with {@code ServiceKitServer.builder().route(path,
 * StreamableServe.handler(h, config))} or anywhere in a Jetty 12 handler tree.
 *
 * <p>Per request:
 *
 * <ol>
 *   <li>the body is read without blocking a thread, at most {@link StreamableConfig#maxBodyBytes()}
 *       bytes: a larger {@code Content-Length} — or, without one, a body that grows past the limit
 *       while read — is answered 413 with a JSON error naming the limit;
 *   <li>the {@link StreamableHandler} runs on a virtual thread of its own; the method, the {@code
 *       Accept} header and the content type are its business (see {@link
 *       io.servicekit.streamable.AcceptHeader});
 *   <li>a {@link SingleResponse} is written as is; a {@link StreamResponse} gets the SSE headers
 *       {@link SseServe} sends plus its own, and its producer runs on a virtual thread; {@link
 *       Rejection} answers its status, headers and plain-text body; any other exception (or null)
 *       answers 500 {@code {"error":"internal server error"}} and is logged.
 * </ol>
 *
 * <p>A client that goes away under a stream is noticed promptly (Jetty's failure report, a failed
 * write, or on HTTP/1.x a read probe as for SSE): the producer's sends then throw {@link
 * io.servicekit.streamable.StreamClosedException} and its thread is interrupted, so no producer
 * stays blocked on a stream nobody reads. The connector's idle timeout still applies: keep {@link
 * StreamableConfig#keepalivePeriod()} below it.
 *
 * <p>On a graceful shutdown ({@link GracefulShutdown}, after its callbacks) {@link #shutdown} runs
 * the handler's own {@link GracefulHandler#shutdown} if it is a {@link GracefulHandler} (an MCP
 * transport answers its running requests and ends its sessions' streams there), then the {@link
 * #onShutdown} hooks, and, once they are done, ends every stream still open gracefully: what its
 * producer has sent is written, then the response ends. When this Jetty handler stops, a handler
 * that is {@link AutoCloseable} is closed.
 */
public final class StreamableServe extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(StreamableServe.class);
  private static final AtomicLong HANDLERS = new AtomicLong();
  private static final String INTERNAL_ERROR = "{\"error\":\"internal server error\"}";

  private final StreamableHandler handler;
  private final StreamableConfig config;
  private final OpenSet<StreamableDriver, Boolean> open =
      new OpenSet<>((stream, how) -> stream.session().close());
  private final List<Supplier<? extends CompletionStage<?>>> shutdownHooks =
      new CopyOnWriteArrayList<>();

  private StreamableServe(StreamableHandler handler, StreamableConfig config) {
    super(InvocationType.NON_BLOCKING);
    this.handler = Objects.requireNonNull(handler, "handler");
    this.config = Objects.requireNonNull(config, "config");
    if (handler instanceof GracefulHandler graceful) {
      shutdownHooks.add(graceful::shutdown); // first, before hooks added later
    }
  }

  /** A handler for {@code handler} with {@link StreamableConfig#defaults()}. */
  public static StreamableServe handler(StreamableHandler handler) {
    return new StreamableServe(handler, StreamableConfig.defaults());
  }

  /** A handler for {@code handler} with {@code config}. */
  public static StreamableServe handler(StreamableHandler handler, StreamableConfig config) {
    return new StreamableServe(handler, config);
  }

  /** The configuration of this endpoint. */
  public StreamableConfig config() {
    return config;
  }

  /**
   * Adds a hook {@link #shutdown} runs before ending the open streams; its stage completes when
   * what it ended has ended.
   */
  public StreamableServe onShutdown(Supplier<? extends CompletionStage<?>> hook) {
    shutdownHooks.add(Objects.requireNonNull(hook, "hook"));
    return this;
  }

  /** The streams of this endpoint open now. */
  public int openStreams() {
    return open.size();
  }

  /**
   * Runs the {@link #onShutdown} hooks, then ends every stream still open gracefully (and, from
   * then on, streams as they open). The stage completes when the hooks' stages and those streams
   * have ended.
   */
  public CompletableFuture<Void> shutdown() {
    List<CompletableFuture<?>> hooks = new ArrayList<>();
    for (Supplier<? extends CompletionStage<?>> hook : shutdownHooks) {
      try {
        hooks.add(hook.get().toCompletableFuture());
      } catch (RuntimeException e) {
        LOG.warn("StreamableServe shutdown hook failed", e);
      }
    }
    return CompletableFuture.allOf(hooks.toArray(CompletableFuture[]::new))
        .handle((r, x) -> null)
        .thenCompose(ignored -> open.endAll(Boolean.TRUE, true));
  }

  @Override
  protected void doStart() throws Exception {
    open.reset();
    super.doStart();
  }

  /**
   * Stops; a handler that is {@link AutoCloseable} is closed (e.g. an MCP transport's sessions).
   */
  @Override
  protected void doStop() throws Exception {
    try {
      super.doStop();
    } finally {
      if (handler instanceof AutoCloseable closeable) {
        try {
          closeable.close();
        } catch (Exception e) {
          LOG.warn("StreamableServe: closing {} failed", handler, e);
        }
      }
    }
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    RequestSnapshot head = JettyRequest.of(request);
    long declared = request.getLength();
    if (declared > config.maxBodyBytes()) {
      tooLarge(response, callback, "Content-Length " + declared);
      return true;
    }
    new BodyReader(request, response, callback, head).read();
    return true;
  }

  private void tooLarge(Response response, Callback callback, String what) {
    Responses.json(
        response,
        callback,
        HttpStatus.PAYLOAD_TOO_LARGE_413,
        "{\"error\":\"request body too large: "
            + what
            + " exceeds maxBodyBytes "
            + config.maxBodyBytes()
            + "\"}");
  }

  /** Reads the body chunk by chunk on demand, enforcing the limit as it goes. */
  private final class BodyReader {
    private final Request request;
    private final Response response;
    private final Callback callback;
    private final RequestSnapshot head;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    BodyReader(Request request, Response response, Callback callback, RequestSnapshot head) {
      this.request = request;
      this.response = response;
      this.callback = callback;
      this.head = head;
    }

    void read() {
      while (true) {
        Content.Chunk chunk = request.read();
        if (chunk == null) {
          request.demand(this::read);
          return;
        }
        if (Content.Chunk.isFailure(chunk)) {
          Throwable failure = chunk.getFailure();
          LOG.debug("{}: reading the request body failed", head, failure);
          callback.failed(failure);
          return;
        }
        ByteBuffer buffer = chunk.getByteBuffer();
        int n = buffer.remaining();
        if ((long) body.size() + n > config.maxBodyBytes()) {
          chunk.release();
          tooLarge(response, callback, "body of more than " + (body.size() + n) + " bytes");
          return;
        }
        if (n > 0) {
          byte[] bytes = new byte[n];
          buffer.get(bytes);
          body.write(bytes, 0, n);
        }
        chunk.release();
        if (chunk.isLast()) {
          byte[] bytes = body.toByteArray();
          config
              .scheduler()
              .execute(
                  "servicekit-streamable-handler-" + HANDLERS.getAndIncrement(),
                  () -> respond(request, response, callback, head, bytes));
          return;
        }
      }
    }
  }

  private void respond(
      Request request, Response response, Callback callback, RequestSnapshot head, byte[] body) {
    StreamableResponse answer;
    try {
      answer = handler.handle(StreamableRequest.of(head, body));
      if (answer == null) {
        throw new IllegalStateException("StreamableHandler returned null");
      }
    } catch (Rejection rejection) {
      ServeSupport.reject(response, callback, rejection);
      return;
    } catch (Throwable e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      LOG.error("StreamableHandler failed for {}", head, e);
      Responses.json(response, callback, HttpStatus.INTERNAL_SERVER_ERROR_500, INTERNAL_ERROR);
      return;
    }
    switch (answer) {
      case SingleResponse single -> {
        response.setStatus(single.status());
        addHeaders(response, single.headers());
        byte[] bytes = single.body();
        response.write(
            true, bytes.length == 0 ? BufferUtil.EMPTY_BUFFER : ByteBuffer.wrap(bytes), callback);
      }
      case StreamResponse stream -> stream(request, response, callback, head, stream);
    }
  }

  private void stream(
      Request request,
      Response response,
      Callback callback,
      RequestSnapshot head,
      StreamResponse answer) {
    ServeSupport.eventStreamHead(request, response, answer.status());
    addHeaders(response, answer.headers());
    StreamableDriver stream = StreamableDriver.create(config, head, head.toString());
    JettySseTransport transport =
        JettySseTransport.open(request, response, callback, stream::onTransportFailure);
    CompletableFuture<Void> ended = new CompletableFuture<>();
    stream.session().whenClosed(() -> ended.complete(null));
    open.add(stream, "", ended);
    stream.open(transport, answer.producer());
    open.endIfEnding(stream);
  }

  private static void addHeaders(Response response, Map<String, List<String>> headers) {
    headers.forEach(
        (name, values) -> {
          response.getHeaders().remove(name);
          for (String v : values) {
            response.getHeaders().add(name, v);
          }
        });
  }
}
