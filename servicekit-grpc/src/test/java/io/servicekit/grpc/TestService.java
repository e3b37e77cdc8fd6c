package io.servicekit.grpc;

import com.google.protobuf.StringValue;
import com.google.protobuf.Timestamp;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real grpc-java service for the bridge tests, defined by hand (no codegen) with well-known
 * messages, counting its open calls.
 *
 * <ul>
 *   <li>{@code Ticks} (server streaming, Timestamp → stream Timestamp): {@code seconds = n > 0}
 *       sends n timestamps 1..n then completes; {@code n < 0} fails with NOT_FOUND "no ticks for
 *       n"; {@code n == 0} streams forever while the client is ready (flow control honoured),
 *       counting what it produced.
 *   <li>{@code Sum} (client streaming, Timestamp → Timestamp): the sum of the seconds received.
 *   <li>{@code Chat} (bidi, StringValue): answers {@code "echo:" + v}; {@code "push:N"} pushes N
 *       messages {@code "push-i"}; completes when the client half-closes.
 * </ul>
 */
final class TestService {
  static final String SERVICE = "test.v1.TestService";

  static final MethodDescriptor<Timestamp, Timestamp> TICKS =
      method(
          "Ticks",
          MethodDescriptor.MethodType.SERVER_STREAMING,
          Timestamp.getDefaultInstance(),
          Timestamp.getDefaultInstance());
  static final MethodDescriptor<Timestamp, Timestamp> SUM =
      method(
          "Sum",
          MethodDescriptor.MethodType.CLIENT_STREAMING,
          Timestamp.getDefaultInstance(),
          Timestamp.getDefaultInstance());
  static final MethodDescriptor<StringValue, StringValue> CHAT =
      method(
          "Chat",
          MethodDescriptor.MethodType.BIDI_STREAMING,
          StringValue.getDefaultInstance(),
          StringValue.getDefaultInstance());

  private static <Q extends com.google.protobuf.Message, R extends com.google.protobuf.Message>
      MethodDescriptor<Q, R> method(
          String name, MethodDescriptor.MethodType type, Q request, R response) {
    return MethodDescriptor.<Q, R>newBuilder()
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(ProtoUtils.marshaller(request))
        .setResponseMarshaller(ProtoUtils.marshaller(response))
        .build();
  }

  /** Calls open right now. */
  final AtomicInteger active = new AtomicInteger();

  /** Calls that ended by cancellation. */
  final AtomicInteger cancelled = new AtomicInteger();

  /** Calls ever started. */
  final AtomicInteger started = new AtomicInteger();

  /** Messages produced by endless Ticks calls. */
  final AtomicLong produced = new AtomicLong();

  /** Requests received by Sum and Chat, in order. */
  final List<String> received = new CopyOnWriteArrayList<>();

  /** Bidi calls' response streams, for server pushes from a test. */
  final BlockingQueue<StreamObserver<StringValue>> chats = new LinkedBlockingQueue<>();

  ServerServiceDefinition definition() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(TICKS, ServerCalls.asyncServerStreamingCall(this::ticks))
        .addMethod(SUM, ServerCalls.asyncClientStreamingCall(this::sum))
        .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(this::chat))
        .build();
  }

  /** Registers a call; the returned runnable ends it exactly once. */
  private Runnable track(ServerCallStreamObserver<?> call) {
    started.incrementAndGet();
    active.incrementAndGet();
    AtomicBoolean done = new AtomicBoolean();
    Runnable end =
        () -> {
          if (done.compareAndSet(false, true)) {
            active.decrementAndGet();
          }
        };
    call.setOnCancelHandler(
        () -> {
          cancelled.incrementAndGet();
          end.run();
        });
    return end;
  }

  private void ticks(Timestamp request, StreamObserver<Timestamp> responses) {
    ServerCallStreamObserver<Timestamp> call = (ServerCallStreamObserver<Timestamp>) responses;
    Runnable end = track(call);
    long n = request.getSeconds();
    if (n < 0) {
      end.run();
      call.onError(Status.NOT_FOUND.withDescription("no ticks for " + n).asRuntimeException());
      return;
    }
    if (n > 0) {
      for (int i = 1; i <= n; i++) {
        call.onNext(Timestamp.newBuilder().setSeconds(i).build());
      }
      end.run();
      call.onCompleted();
      return;
    }
    AtomicLong next = new AtomicLong();
    call.setOnReadyHandler(
        () -> {
          while (call.isReady() && !call.isCancelled()) {
            call.onNext(
                Timestamp.newBuilder().setSeconds(next.incrementAndGet()).setNanos(7).build());
            produced.incrementAndGet();
          }
        });
  }

  private StreamObserver<Timestamp> sum(StreamObserver<Timestamp> responses) {
    Runnable end = track((ServerCallStreamObserver<?>) responses);
    AtomicLong total = new AtomicLong();
    return new StreamObserver<>() {
      @Override
      public void onNext(Timestamp value) {
        received.add(Long.toString(value.getSeconds()));
        total.addAndGet(value.getSeconds());
      }

      @Override
      public void onError(Throwable t) {
        end.run();
      }

      @Override
      public void onCompleted() {
        end.run();
        responses.onNext(Timestamp.newBuilder().setSeconds(total.get()).build());
        responses.onCompleted();
      }
    };
  }

  private StreamObserver<StringValue> chat(StreamObserver<StringValue> responses) {
    Runnable end = track((ServerCallStreamObserver<?>) responses);
    chats.add(responses);
    return new StreamObserver<>() {
      @Override
      public void onNext(StringValue value) {
        received.add(value.getValue());
        synchronized (responses) {
          if (value.getValue().startsWith("push:")) {
            int n = Integer.parseInt(value.getValue().substring(5));
            for (int i = 1; i <= n; i++) {
              responses.onNext(StringValue.of("push-" + i));
            }
          } else {
            responses.onNext(StringValue.of("echo:" + value.getValue()));
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        end.run();
      }

      @Override
      public void onCompleted() {
        end.run();
        synchronized (responses) {
          responses.onNext(StringValue.of("bye"));
          responses.onCompleted();
        }
      }
    };
  }

  // ---- client side, as an application would write it with a stub ----

  static ServerStreamingCall<Timestamp, Timestamp> ticksCall(Channel channel) {
    return (request, responses) ->
        ClientCalls.asyncServerStreamingCall(
            channel.newCall(TICKS, CallOptions.DEFAULT), request, responses);
  }

  static StreamingCall<Timestamp, Timestamp> sumCall(Channel channel) {
    return (request, responses) ->
        ClientCalls.asyncClientStreamingCall(channel.newCall(SUM, CallOptions.DEFAULT), responses);
  }

  static StreamingCall<StringValue, StringValue> chatCall(Channel channel) {
    return (request, responses) ->
        ClientCalls.asyncBidiStreamingCall(channel.newCall(CHAT, CallOptions.DEFAULT), responses);
  }
}
