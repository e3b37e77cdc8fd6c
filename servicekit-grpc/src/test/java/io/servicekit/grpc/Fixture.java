package io.servicekit.grpc;

import com.google.protobuf.StringValue;
import com.google.protobuf.Timestamp;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.servicekit.Rejection;
import io.servicekit.Request;
import io.servicekit.WsConfig;
import io.servicekit.WsHandler;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.TestWsClient;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A real in-process gRPC server with {@link TestService}, a real ServiceKit server bridging it at
 * {@code /ticks?n=}, {@code /sum} and {@code /chat}, and the bridge connections it created.
 */
final class Fixture implements AutoCloseable {
  /** Per-connection outgoing budget: above it the connection is closed with 1008. */
  static final long MAX_QUEUED_BYTES = 1 << 20;

  final TestService service = new TestService();
  final FakeScheduler time = new FakeScheduler();
  final List<GrpcBridge<?, ?>> conns = new CopyOnWriteArrayList<>();
  final Server grpc;
  final ManagedChannel channel;
  final ServiceKitServer web;

  Fixture() throws Exception {
    this(GrpcWsConfig.defaults());
  }

  Fixture(GrpcWsConfig options) throws Exception {
    String name = InProcessServerBuilder.generateName();
    grpc =
        InProcessServerBuilder.forName(name)
            .addService(service.definition())
            .directExecutor()
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
    WsConfig config =
        WsConfig.builder()
            .scheduler(time)
            .writeTimeout(Duration.ofDays(1))
            .maxQueuedBytes(MAX_QUEUED_BYTES)
            .build();
    web =
        ServiceKitServer.builder()
            .port(0)
            .ws(
                "/ticks",
                recording(
                    ServerStreamHandler.of(
                            r ->
                                Timestamp.newBuilder()
                                    .setSeconds(
                                        Long.parseLong(
                                            r.queryParam("n")
                                                .orElseThrow(
                                                    () ->
                                                        new IllegalArgumentException(
                                                            "query parameter n is required"))))
                                    .build(),
                            TestService.ticksCall(channel),
                            options)
                        ::accept),
                config)
            .ws(
                "/sum",
                recording(
                    ClientStreamHandler.of(
                            Timestamp.getDefaultInstance(), TestService.sumCall(channel), options)
                        ::accept),
                config)
            .ws(
                "/chat",
                recording(
                    BidiStreamHandler.of(
                            StringValue.getDefaultInstance(),
                            TestService.chatCall(channel),
                            options)
                        ::accept),
                config)
            .build();
    // A small kernel send buffer, so that a client that stops reading stalls the server after a
    // few kilobytes instead of the megabytes loopback autotuning allows (slow to fill on a busy
    // machine).
    ((ServerConnector) web.jetty().getConnectors()[0]).setAcceptedSendBufferSize(16 * 1024);
    web.start();
  }

  /** A handler that makes bridges (the three stream handlers' {@code accept}). */
  private interface BridgeHandler {
    GrpcBridge<?, ?> accept(Request request) throws Rejection;
  }

  private WsHandler<Envelope, Envelope> recording(BridgeHandler handler) {
    return request -> {
      GrpcBridge<?, ?> conn = handler.accept(request);
      conns.add(conn);
      return conn;
    };
  }

  URI uri(String pathAndQuery) {
    return URI.create(web.wsUri("/").toString().replaceAll("/$", "") + pathAndQuery);
  }

  TestWsClient connect(String pathAndQuery) {
    return TestWsClient.connect(uri(pathAndQuery));
  }

  GrpcBridge<?, ?> lastConn() {
    return conns.get(conns.size() - 1);
  }

  @Override
  public void close() throws Exception {
    web.stop();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
