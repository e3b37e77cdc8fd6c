package demo;

import io.servicekit.WsListener;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.sse.SseListener;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** Starts a WebSocket echo and an SSE endpoint, uses both, tries an internal type; prints lines. */
public final class Main {
  public static void main(String[] args) throws Exception {
    ServiceKitServer server =
        ServiceKitServer.builder()
            .port(0)
            .ws("/echo", r -> WsListener.json("Echo", (s, m) -> s.send(m)))
            .sse("/events", r -> SseListener.json(s -> s.send("hello")))
            .build()
            .start();
    try {
      CompletableFuture<String> echoed = new CompletableFuture<>();
      WebSocket ws =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .buildAsync(
                  URI.create("ws://localhost:" + server.port() + "/echo"),
                  new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence d, boolean last) {
                      text.append(d);
                      if (last) {
                        if (text.indexOf("\"hi\"") >= 0) {
                          echoed.complete(text.toString());
                        }
                        text.setLength(0);
                      }
                      w.request(1);
                      return null;
                    }
                  })
              .get(30, TimeUnit.SECONDS);
      ws.sendText("{\"hi\":1}", true);
      System.out.println("ECHO " + echoed.get(30, TimeUnit.SECONDS));

      HttpResponse<java.io.InputStream> sse =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/events"))
                      .build(),
                  HttpResponse.BodyHandlers.ofInputStream());
      try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(sse.body()))) {
        String line;
        while ((line = lines.readLine()) != null) {
          if (line.startsWith("data:")) {
            System.out.println("SSE " + line);
            break;
          }
        }
      }

      try {
        Class.forName("io.servicekit.internal.WriteQueue").getConstructors()[0].newInstance();
        System.out.println("INTERNAL reachable");
      } catch (IllegalAccessException e) {
        System.out.println("INTERNAL sealed");
      } catch (ReflectiveOperationException | RuntimeException e) {
        System.out.println("INTERNAL other " + e);
      }
      try {
        // The drivers are not exported at all: a binding creates them through io.servicekit.spi.
        Class.forName("io.servicekit.internal.driver.WsConnection")
            .getConstructors()[0]
            .newInstance(null, null, null, null);
        System.out.println("DRIVER reachable");
      } catch (IllegalAccessException e) {
        System.out.println("DRIVER sealed");
      } catch (ReflectiveOperationException | RuntimeException e) {
        System.out.println("DRIVER other " + e);
      }
    } finally {
      server.close();
    }
  }
}
