package io.servicekit.netty.internal;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.servicekit.spi.SseTransport;
import io.servicekit.spi.Transport;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One Server-Sent Events response on a Netty channel, as the core's {@code SseDriver} drives it.
 * The first {@link #write} sends the head ({@code 200}, {@code text/event-stream}, chunked on
 * HTTP/1.1); every write is one {@code HttpContent} written and flushed, its future completing the
 * driver's callback, so a client that stops reading holds the callback back and the driver's queue
 * and write timeout apply. {@link #end} writes the last chunk; {@link #reject} before the first
 * write answers with a complete plain response instead; {@link #abort} closes the channel.
 *
 * <p>A channel that closes before the response completed (the client went away: the connection
 * keeps reading during the stream, so its end of stream is seen) is reported to the driver by
 * {@link #watch}.
 */
public final class NettySseTransport implements SseTransport {
  /** What the connection's HTTP handler does once the response is over; on the event loop. */
  interface Owner {
    /** Answer with this complete response instead of the stream. */
    void rejectStream(int status, String body, Map<String, String> headers);

    /** The stream's response is complete; {@code reuse}: the connection may serve another one. */
    void streamEnded(boolean reuse);
  }

  private final Channel channel;
  private final boolean http10;
  private final boolean keepAlive;
  private final Owner owner;
  private final AtomicBoolean committed = new AtomicBoolean();
  private final AtomicBoolean completed = new AtomicBoolean();

  NettySseTransport(Channel channel, boolean http10, boolean keepAlive, Owner owner) {
    this.channel = channel;
    this.http10 = http10;
    this.keepAlive = keepAlive && !http10;
    this.owner = owner;
  }

  /**
   * Reports the channel's close to {@code onGone} unless the response completed first (at once if
   * the channel is closed already).
   */
  void watch(Consumer<Throwable> onGone) {
    channel
        .closeFuture()
        .addListener(
            f -> {
              if (!completed.get()) {
                onGone.accept(new IOException("SSE client went away (connection closed)"));
              }
            });
  }

  private HttpResponse head() {
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
    head.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    if (keepAlive) {
      head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    } else {
      head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    head.headers().set("X-Accel-Buffering", "no");
    if (!http10) {
      HttpUtil.setTransferEncodingChunked(head, true);
    }
    return head;
  }

  private void commitHead() {
    if (committed.compareAndSet(false, true)) {
      channel.write(head());
    }
  }

  @Override
  public void write(byte[] bytes, Transport.WriteCallback cb) {
    commitHead();
    ChannelFuture f =
        channel.writeAndFlush(
            new DefaultHttpContent(
                bytes.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes)));
    f.addListener(
        (ChannelFutureListener)
            done -> {
              if (done.isSuccess()) {
                cb.succeeded();
              } else {
                cb.failed(done.cause());
              }
            });
  }

  @Override
  public void end(Transport.WriteCallback cb) {
    commitHead();
    channel
        .writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
        .addListener(
            (ChannelFutureListener)
                done -> {
                  if (done.isSuccess()) {
                    if (completed.compareAndSet(false, true)) {
                      owner.streamEnded(keepAlive); // a listener runs on the event loop
                    }
                    cb.succeeded();
                  } else {
                    completed.set(true);
                    channel.close();
                    cb.failed(done.cause());
                  }
                });
  }

  @Override
  public void reject(int status, String body, Map<String, String> headers) {
    if (committed.get()) {
      abort(new IllegalStateException("cannot reject a committed SSE response with " + status));
      return;
    }
    if (!completed.compareAndSet(false, true)) {
      return;
    }
    committed.set(true);
    Map<String, String> copy = Map.copyOf(headers);
    channel.eventLoop().execute(() -> owner.rejectStream(status, body, copy));
  }

  @Override
  public void abort(Throwable cause) {
    if (completed.compareAndSet(false, true)) {
      channel.close();
    }
  }
}
