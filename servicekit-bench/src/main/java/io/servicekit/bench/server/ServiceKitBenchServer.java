package io.servicekit.bench.server;

import io.servicekit.Codec;
import io.servicekit.Hub;
import io.servicekit.JsonCodec;
import io.servicekit.Message;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.sse.SseHub;
import io.servicekit.sse.SseListener;
import io.servicekit.sse.SseSession;

/**
 * ServiceKit under test, configured as a user would: {@link ServiceKitServer} with default {@link
 * io.servicekit.WsConfig} (JSON heartbeat every 30 s, 16 MiB outgoing budget, close on slow
 * consumer).
 *
 * <ul>
 *   <li>{@code /echo}: a {@link io.servicekit.WsListener} with {@link Codec#raw()} sending every
 *       frame back;
 *   <li>{@code /json}: a JSON {@link io.servicekit.WsListener} that decodes each message to a map
 *       and encodes it back;
 *   <li>{@code /broadcast}: every connection registers in one {@link Hub}; each message received is
 *       broadcast to all members (the sender included);
 *   <li>{@code /sse}: Server-Sent Events through {@link io.servicekit.jetty.SseServe} with the
 *       default {@link io.servicekit.sse.SseConfig} (keepalive comment every 30 s, 16 MiB budget,
 *       close on slow consumer); every stream is an {@link SseListener} with {@link Codec#raw()}
 *       registered in one {@link SseHub}, and a {@code publish} command on the control channel is
 *       {@code hub.broadcast} of its text (framed once, queued on every stream).
 * </ul>
 *
 * <p>Binds 127.0.0.1 on the port given as the first argument (0 = any free one).
 */
public final class ServiceKitBenchServer {
  private ServiceKitBenchServer() {}

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    SseHub<Message> sseHub = new SseHub<>();
    ServiceKitServer server = start(port, new Hub<>(), sseHub);
    ServerControl.serve(
        server.port(),
        () -> {
          try {
            server.stop();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        },
        text -> sseHub.broadcast(Message.text(text)));
  }

  /**
   * Starts the server under test on 127.0.0.1:{@code port} (0 = any free one), with its routes;
   * {@code /broadcast} members join {@code hub}, {@code /sse} streams join {@code sseHub}.
   */
  static ServiceKitServer start(int port, Hub<Message> hub, SseHub<Message> sseHub)
      throws Exception {
    return ServiceKitServer.builder()
        .host("127.0.0.1")
        .port(port)
        .ws("/echo", request -> new RawEcho())
        .ws("/json", request -> new JsonEcho())
        .ws("/broadcast", request -> new Subscriber(hub))
        .sse("/sse", request -> new SseSubscriber(sseHub))
        .build()
        .start();
  }

  /** An SSE stream that joins the hub when it starts (and leaves it by itself when it ends). */
  public static final class SseSubscriber implements SseListener<Message> {
    private final SseHub<Message> hub;

    public SseSubscriber(SseHub<Message> hub) {
      this.hub = hub;
    }

    @Override
    public Codec<Message, Message> codec() {
      return Codec.raw();
    }

    @Override
    public String name() {
      return "SseSubscriber";
    }

    @Override
    public void onOpen(SseSession<Message> session) {
      hub.register(session);
    }
  }

  /** Echoes every frame unchanged. */
  static final class RawEcho implements WsListener<Message, Message> {
    @Override
    public Codec<Message, Message> codec() {
      return Codec.raw();
    }

    @Override
    public String name() {
      return "Echo";
    }

    RawEcho() {}

    @Override
    public void onMessage(WsSession<Message> session, Message message) {
      session.send(message);
    }
  }

  /** Decodes JSON and sends the decoded value back, encoded again. */
  static final class JsonEcho implements WsListener<Object, Object> {
    @Override
    public Codec<Object, Object> codec() {
      return JsonCodec.INSTANCE;
    }

    @Override
    public String name() {
      return "JsonEcho";
    }

    JsonEcho() {}

    @Override
    public void onMessage(WsSession<Object> session, Object message) {
      session.send(message);
    }
  }

  /** A hub member; whatever it sends goes to every member. */
  static final class Subscriber implements WsListener<Message, Message> {
    @Override
    public Codec<Message, Message> codec() {
      return Codec.raw();
    }

    @Override
    public String name() {
      return "Subscriber";
    }

    private final Hub<Message> hub;

    Subscriber(Hub<Message> hub) {
      this.hub = hub;
    }

    @Override
    public void onOpen(WsSession<Message> session) {
      hub.register(session);
    }

    @Override
    public void onMessage(WsSession<Message> session, Message message) {
      if (message instanceof Message.Text t && t.text().equals(ServerControl.FILL_REQUEST)) {
        Message big = Message.text(ServerControl.FILL_CHUNK);
        for (int i = 0; i < ServerControl.FILL_CHUNKS; i++) {
          session.sendMessage(big);
        }
        return;
      }
      hub.broadcast(message);
    }
  }
}
