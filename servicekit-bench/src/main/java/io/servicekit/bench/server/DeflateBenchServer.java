package io.servicekit.bench.server;

import io.servicekit.BaseConn;
import io.servicekit.Codec;
import io.servicekit.Frame;
import io.servicekit.Hub;
import io.servicekit.WsConnConfig;
import io.servicekit.WsSession;
import io.servicekit.jetty.ServiceKitServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.io.ConnectionStatistics;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.util.Pool;
import org.eclipse.jetty.websocket.core.WebSocketComponents;

/**
 * The server of {@code DeflateBench}: ServiceKit with permessage-deflate off and on, side by side.
 *
 * <ul>
 *   <li>{@code /echo/off}, {@code /echo/on}, {@code /echo/fresh}: a raw echo with compression off,
 *       on (context takeover, the offer decides), and on with both {@code no_context_takeover}
 *       forced by the route;
 *   <li>{@code /broadcast/off}, {@code /broadcast/on}, {@code /broadcast/fresh}: members of one hub
 *       per route; a message received is broadcast to every member of its hub.
 * </ul>
 *
 * <p>Prints {@code PORT n}, then answers {@code bytes} with {@code BYTES <sent> <received> <open>}
 * (TCP payload bytes of the connections closed so far, and the number open, from Jetty's {@link
 * ConnectionStatistics}, which adds a connection's bytes when it closes), {@code pools} with {@code
 * POOLS deflaters=<size>/<in use> inflaters=<size>/<in use>} (Jetty's compression pools) and stops
 * on {@code quit} or the end of input.
 */
public final class DeflateBenchServer {
  private DeflateBenchServer() {}

  public static void main(String[] args) throws Exception {
    WsConnConfig off = WsConnConfig.defaults();
    WsConnConfig on = off.toBuilder().compression(true).build();
    WsConnConfig fresh =
        on.toBuilder().serverNoContextTakeover(true).clientNoContextTakeover(true).build();
    ServiceKitServer.Builder b = ServiceKitServer.builder().host("127.0.0.1").port(0);
    String[] names = {"off", "on", "fresh"};
    WsConnConfig[] configs = {off, on, fresh};
    for (int i = 0; i < names.length; i++) {
      Hub<Frame> hub = new Hub<>();
      b.ws("/echo/" + names[i], r -> new Echo(), configs[i]);
      b.ws("/broadcast/" + names[i], r -> new Member(hub), configs[i]);
    }
    ServiceKitServer server = b.build();
    ConnectionStatistics stats = new ConnectionStatistics();
    for (Connector c : server.jetty().getConnectors()) {
      c.addBean(stats);
    }
    server.start();
    System.out.println("PORT " + server.port());
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null && !line.trim().equals("quit")) {
      if (line.trim().equals("pools")) {
        // Deflaters and inflaters pooled by Jetty (size = created and kept, in use = held now).
        StringBuilder out = new StringBuilder("POOLS");
        for (WebSocketComponents c : server.jetty().getContainedBeans(WebSocketComponents.class)) {
          Pool<?> d = c.getDeflaterPool().getPool();
          Pool<?> i = c.getInflaterPool().getPool();
          out.append(" deflaters=")
              .append(d == null ? "-" : d.size() + "/" + d.getInUseCount())
              .append(" inflaters=")
              .append(i == null ? "-" : i.size() + "/" + i.getInUseCount());
        }
        System.out.println(out);
        System.out.flush();
      }
      if (line.trim().equals("bytes")) {
        System.out.println(
            "BYTES "
                + stats.getSentBytes()
                + " "
                + stats.getReceivedBytes()
                + " "
                + stats.getConnections());
        System.out.flush();
      }
    }
    server.stop();
    System.exit(0);
  }

  static final class Echo extends BaseConn<Frame, Frame> {
    Echo() {
      super(Codec.raw(), "Echo");
    }

    @Override
    public void handleMessage(Frame message) {
      sendOutput(message);
    }
  }

  static final class Member extends BaseConn<Frame, Frame> {
    private final Hub<Frame> hub;

    Member(Hub<Frame> hub) {
      super(Codec.raw(), "Member");
      this.hub = hub;
    }

    @Override
    public void onStart(WsSession session) {
      hub.register(this);
    }

    @Override
    public void handleMessage(Frame message) {
      hub.broadcast(message);
    }
  }
}
