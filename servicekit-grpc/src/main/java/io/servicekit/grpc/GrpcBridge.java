package io.servicekit.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.ErrorAction;
import io.servicekit.MessageRejectedException;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener of one WebSocket bridged to one gRPC streaming call, created by {@link
 * ServerStreamHandler}, {@link ClientStreamHandler} or {@link BidiStreamHandler}.
 *
 * <p>Lifecycle: the call is opened after the upgrade ({@link #onOpen}). Upstream responses become
 * {@code data} envelopes, the normal end one {@code stream_end} after the last {@code data}, a gRPC
 * error one {@code error} envelope ({@code "CODE: description"} plus {@code "code":"CODE"}). The
 * socket stays open after {@code stream_end} and after an error, as with the Go library (its
 * clients close it); the heartbeat keeps running. A client {@code cancel} or the end of the socket
 * (close frame of any code, TCP drop, heartbeat timeout) cancels the call at once; nothing is sent
 * for a cancel.
 *
 * <p>Bad client input never ends the session: malformed envelopes, unknown types, {@code data} that
 * is not valid protobuf JSON for the request type, {@code data} or {@code end_send} after {@code
 * end_send} or after the stream ended, and messages the call kind does not take are each answered
 * with an {@code error} envelope naming the rule.
 *
 * <p>Threads: envelopes are handled one at a time on the connection's thread; upstream callbacks
 * arrive on gRPC's threads and only queue frames (never block). Sending upstream waits while gRPC
 * reports the call not ready (its flow-control window is full), which stops reading from the
 * socket, so a fast client is held back by a slow gRPC server.
 *
 * @param <Req> the request type
 * @param <Resp> the response type
 */
public final class GrpcBridge<Req extends Message, Resp extends Message>
    implements WsListener<Envelope, Envelope> {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcBridge.class);

  /** The three streaming kinds. */
  public enum Kind {
    /** One request from the upgrade request, a stream of responses. */
    SERVER_STREAMING,
    /** A stream of client requests, one response. */
    CLIENT_STREAMING,
    /** Both directions at once. */
    BIDI_STREAMING
  }

  interface Opener<Req, Resp> {
    /**
     * The stream of client requests, or null for server streaming (its request came with the URL).
     */
    @Nullable StreamObserver<Req> open(GrpcBridge<?, ?> conn, StreamObserver<Resp> responses)
        throws Exception;
  }

  private final Kind kind;
  private final @Nullable Message requestPrototype; // null for server streaming
  private final Opener<Req, Resp> opener;
  private final GrpcWsConfig options;
  private final StreamMetrics metrics = new StreamMetrics();
  private final AtomicLong pings = new AtomicLong();
  private final AtomicInteger owed = new AtomicInteger();
  private final AtomicBoolean paused = new AtomicBoolean();
  private final ReentrantLock readyLock = new ReentrantLock();
  private final Condition readyChanged = readyLock.newCondition();

  private final String name;
  private final CompletableFuture<CloseStatus> closed = new CompletableFuture<>();
  private volatile @Nullable WsSession<Envelope>
      session; // set by onOpen, before anything else runs
  private volatile Context.@Nullable CancellableContext context;
  private volatile @Nullable ClientCallStreamObserver<Req> call; // set by gRPC before it starts
  private volatile @Nullable StreamObserver<Req> requests; // client and bidi streaming
  private volatile boolean halfClosed; // connection thread only writes
  private volatile boolean finished; // upstream completed or failed
  private volatile boolean cancelled; // we cancelled the call

  GrpcBridge(
      Kind kind,
      String name,
      @Nullable Message requestPrototype,
      Opener<Req, Resp> opener,
      GrpcWsConfig options) {
    this.name = name;
    this.kind = kind;
    this.requestPrototype = requestPrototype;
    this.opener = opener;
    this.options = options;
  }

  @Override
  public Codec<Envelope, Envelope> codec() {
    return EnvelopeCodec.INSTANCE;
  }

  @Override
  public String name() {
    return name;
  }

  /** The connection, once it is open (null before). */
  public @Nullable WsSession<Envelope> session() {
    return session;
  }

  /** Completes with the final status once {@code onClose} has run. */
  public CompletionStage<CloseStatus> closeFuture() {
    return closed.minimalCompletionStage();
  }

  /** Which kind of call this connection bridges. */
  public Kind kind() {
    return kind;
  }

  /** Messages sent and received and the duration of this stream. */
  public StreamMetrics metrics() {
    return metrics;
  }

  /** Whether the upstream call has completed or failed (not counting a cancel). */
  public boolean upstreamFinished() {
    return finished;
  }

  /** Whether the bridge cancelled the upstream call (client {@code cancel} or disconnect). */
  public boolean upstreamCancelled() {
    return cancelled;
  }

  /** Opens the upstream call. If it cannot be opened: an error envelope, then close 1011. */
  @Override
  public void onOpen(WsSession<Envelope> session) {
    this.session = session;
    Context.CancellableContext ctx = Context.current().withCancellation();
    context = ctx;
    Upstream upstream = new Upstream(session);
    try {
      requests = ctx.call(() -> opener.open(this, upstream));
    } catch (Exception e) {
      finished = true;
      LOG.debug("{} {}: opening the call failed", name(), session.id(), e);
      Status status = Status.fromThrowable(e);
      session.send(Envelope.error(describe(status), status.getCode().name()));
      session.close(CloseStatus.INTERNAL_ERROR, "upstream call could not be opened");
    }
  }

  @Override
  public void onMessage(WsSession<Envelope> session, Envelope message) throws InterruptedException {
    switch (message.type()) {
      case Envelope.DATA -> onData(session, message);
      case Envelope.END_SEND -> onEndSend(session);
      case Envelope.CANCEL -> cancelUpstream(session, "cancelled by the client");
      case Envelope.PING ->
          session.send(new Envelope(Envelope.PONG, null, null, null, message.pingId()));
      case Envelope.PONG -> {} // a heartbeat answer too long for the transport's shortcut
      default ->
          sendError(
              session,
              "unknown message type \""
                  + message.type()
                  + "\"; expected data, end_send, cancel or pong");
    }
  }

  private void onData(WsSession<Envelope> session, Envelope message) throws InterruptedException {
    Message prototype = requestPrototype;
    if (kind == Kind.SERVER_STREAMING || prototype == null) {
      sendError(
          session,
          "data is not accepted on a server-streaming call (its request came with the URL)");
      return;
    }
    if (halfClosed) {
      sendError(session, "data after end_send: the client already half-closed the stream");
      return;
    }
    StreamObserver<Req> upstream = requests;
    if (finished || cancelled || upstream == null) {
      sendError(session, "data after the stream ended");
      return;
    }
    String data = message.data();
    if (data == null) {
      sendError(session, "data envelope without a \"data\" payload");
      return;
    }
    Message.Builder builder = prototype.newBuilderForType();
    try {
      options.parser().merge(data, builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      sendError(
          session,
          "invalid " + prototype.getDescriptorForType().getFullName() + " JSON: " + e.getMessage());
      return;
    }
    @SuppressWarnings("unchecked") // the builder of a Req builds a Req
    Req request = (Req) builder.build();
    if (!awaitReady(session)) {
      sendError(session, "data after the stream ended");
      return;
    }
    upstream.onNext(request);
    metrics.incrementReceived();
  }

  private void onEndSend(WsSession<Envelope> session) {
    if (kind == Kind.SERVER_STREAMING) {
      sendError(session, "end_send is not accepted on a server-streaming call");
      return;
    }
    if (halfClosed) {
      sendError(session, "end_send was already received");
      return;
    }
    StreamObserver<Req> upstream = requests;
    if (finished || cancelled || upstream == null) {
      sendError(session, "end_send after the stream ended");
      return;
    }
    halfClosed = true;
    upstream.onCompleted();
  }

  /** Waits while gRPC's send window is full; false if the stream or the socket ended meanwhile. */
  private boolean awaitReady(WsSession<Envelope> session) throws InterruptedException {
    ClientCallStreamObserver<Req> c = call;
    if (c == null) {
      return !finished && !cancelled;
    }
    readyLock.lock();
    try {
      while (!c.isReady()) {
        if (finished || cancelled || !session.isOpen()) {
          return false;
        }
        readyChanged.await(50, TimeUnit.MILLISECONDS);
      }
    } finally {
      readyLock.unlock();
    }
    return !finished && !cancelled;
  }

  private void signalReady() {
    readyLock.lock();
    try {
      readyChanged.signalAll();
    } finally {
      readyLock.unlock();
    }
  }

  /** Cancels the upstream call, at once and silently; no-op once it has finished. */
  private void cancelUpstream(WsSession<Envelope> session, String reason) {
    if (cancelled || finished) {
      return;
    }
    cancelled = true;
    ClientCallStreamObserver<Req> c = call;
    if (c != null) {
      c.cancel(reason, null);
    }
    Context.CancellableContext ctx = context;
    if (ctx != null) {
      ctx.cancel(Status.CANCELLED.withDescription(reason).asRuntimeException());
    }
    signalReady();
    LOG.debug("{} {}: upstream call cancelled: {}", name(), session.id(), reason);
  }

  /** The end of the socket, whatever ended it, cancels the upstream call. */
  @Override
  public void onClose(WsSession<Envelope> session, CloseStatus status) {
    cancelUpstream(session, "WebSocket closed: " + status);
    Context.CancellableContext ctx = context;
    if (ctx != null) {
      ctx.close();
    }
    metrics.end();
    LOG.debug("{} {} closed: {}", name(), session.id(), metrics);
    closed.complete(status);
  }

  /** The Go library's grpcws heartbeat {@code {"type":"ping","pingId":n}} (ids from 1). */
  @Override
  public void onHeartbeat(WsSession<Envelope> session, long pingId) {
    session.sendMessage(
        io.servicekit.Message.text(Envelope.ping(pings.incrementAndGet()).toJson()));
  }

  /**
   * A {@link MessageRejectedException} is answered with the grpcws error envelope and reading
   * continues; anything else closes.
   */
  @Override
  public ErrorAction onError(WsSession<Envelope> session, Throwable error) {
    if (error instanceof MessageRejectedException rejected) {
      sendError(session, Objects.requireNonNullElse(rejected.getMessage(), "message rejected"));
      return ErrorAction.CONTINUE;
    }
    return ErrorAction.CLOSE;
  }

  /** The grpcws error envelope {@code {"type":"error","error":"..."}}. */
  private static boolean sendError(WsSession<Envelope> session, String message) {
    return session.sendMessage(io.servicekit.Message.text(Envelope.error(message).toJson()));
  }

  private static String describe(Status status) {
    String d = status.getDescription();
    if (d == null && status.getCause() != null) {
      d = status.getCause().toString();
    }
    return d == null ? status.getCode().name() : status.getCode().name() + ": " + d;
  }

  // ---- flow control of upstream responses ----

  private void afterResponse(WsSession<Envelope> session) {
    owed.incrementAndGet();
    if (!paused.get() && session.queuedBytes() <= options.highWaterBytes()) {
      grant();
    } else if (paused.compareAndSet(false, true)) {
      options.scheduler().schedule(() -> poll(session), options.pollInterval());
    }
  }

  private void poll(WsSession<Envelope> session) {
    if (finished || cancelled || !session.isOpen()) {
      return;
    }
    if (session.queuedBytes() <= options.lowWaterBytes()) {
      paused.set(false);
      grant();
    } else {
      options.scheduler().schedule(() -> poll(session), options.pollInterval());
    }
  }

  private void grant() {
    int n = owed.getAndSet(0);
    ClientCallStreamObserver<Req> c = call;
    if (n > 0 && c != null) {
      c.request(n);
    }
  }

  /** Receives the upstream call's responses (on gRPC's threads, serially). */
  private final class Upstream implements ClientResponseObserver<Req, Resp> {
    private final WsSession<Envelope> session;

    Upstream(WsSession<Envelope> session) {
      this.session = session;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Req> requestStream) {
      call = requestStream;
      requestStream.disableAutoRequestWithInitial(options.initialWindow());
      requestStream.setOnReadyHandler(GrpcBridge.this::signalReady);
    }

    @Override
    public void onNext(Resp value) {
      String json;
      try {
        json = options.printer().print(value);
      } catch (InvalidProtocolBufferException e) {
        session.send(
            Envelope.error("cannot print the response as JSON: " + e.getMessage(), "INTERNAL"));
        cancelUpstream(session, "response could not be printed");
        return;
      }
      if (session.send(Envelope.data(json))) {
        metrics.incrementSent();
      }
      afterResponse(session);
    }

    @Override
    public void onError(Throwable t) {
      boolean ours = cancelled;
      finished = true;
      signalReady();
      if (ours) {
        return; // the client cancelled or left: nothing to report
      }
      Status status = Status.fromThrowable(t);
      session.send(Envelope.error(describe(status), status.getCode().name()));
    }

    @Override
    public void onCompleted() {
      finished = true;
      signalReady();
      session.send(Envelope.streamEnd());
    }
  }
}
