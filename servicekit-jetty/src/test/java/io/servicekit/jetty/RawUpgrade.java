package io.servicekit.jetty;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/** Opens a WebSocket with a bare socket and then never reads: a peer that stalls. */
final class RawUpgrade {
  private RawUpgrade() {}

  static Socket stalledClient(URI server, String path) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096); // before connect, so the window stays small
    socket.connect(new java.net.InetSocketAddress(server.getHost(), server.getPort()));
    String request =
        "GET "
            + path
            + " HTTP/1.1\r\nHost: "
            + server.getAuthority()
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed during handshake: " + head);
      }
      head.write(b);
    }
    String response = head.toString(StandardCharsets.US_ASCII);
    if (!response.startsWith("HTTP/1.1 101")) {
      throw new IOException("upgrade refused: " + response);
    }
    return socket;
  }
}
