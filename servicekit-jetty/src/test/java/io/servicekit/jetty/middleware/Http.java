package io.servicekit.jetty.middleware;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A raw HTTP/1.1 client for tests: sends exactly the request given (any Host, Origin, Upgrade or
 * method) with {@code Connection: close} and reads the whole response.
 */
final class Http {
  private Http() {}

  /** A parsed response. */
  record Reply(int status, Map<String, List<String>> headers, String body) {
    String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null ? null : v.get(0);
    }

    List<String> headers(String name) {
      return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
    }
  }

  /** A request builder. */
  static final class Req {
    private final int port;
    private String method = "GET";
    private String path = "/";
    private final Map<String, String> headers = new LinkedHashMap<>();
    private String body;

    private Req(int port) {
      this.port = port;
      headers.put("Host", "localhost:" + port);
    }

    Req method(String m) {
      method = m;
      return this;
    }

    Req path(String p) {
      path = p;
      return this;
    }

    Req header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    Req noHost() {
      headers.remove("Host");
      return this;
    }

    Req body(String b) {
      body = b;
      return this;
    }

    /** Adds the headers of a valid WebSocket upgrade. */
    Req upgrade() {
      return header("Upgrade", "websocket")
          .header("Connection", "Upgrade")
          .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
          .header("Sec-WebSocket-Version", "13");
    }

    Reply send() throws IOException {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        StringBuilder sb = new StringBuilder();
        sb.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        headers.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (body != null) {
          sb.append("Content-Length: ").append(bytes.length).append("\r\n");
        }
        if (!headers.containsKey("Upgrade")) {
          sb.append("Connection: close\r\n");
        }
        sb.append("\r\n");
        OutputStream out = socket.getOutputStream();
        out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(bytes);
        out.flush();
        return read(socket.getInputStream(), false);
      }
    }
  }

  /** Sends {@code request} verbatim and parses the reply. */
  static Reply raw(int port, String request) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return read(socket.getInputStream(), false);
    }
  }

  /** Sends {@code request} verbatim and returns everything read until the server closes. */
  static String rawText(int port, String request) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      try {
        for (int n; (n = socket.getInputStream().read(buf)) != -1; ) {
          all.write(buf, 0, n);
        }
      } catch (java.net.SocketException e) {
        // reset by the server after a partial response: keep what arrived
      }
      return all.toString(StandardCharsets.UTF_8);
    }
  }

  static Req to(int port) {
    return new Req(port);
  }

  static Reply get(int port, String path) throws IOException {
    return to(port).path(path).send();
  }

  /** Reads the status line and headers, then the body (not for a 101). */
  static Reply read(InputStream in, boolean stopAfterHeaders) throws IOException {
    String statusLine = line(in);
    if (statusLine == null) {
      throw new IOException("connection closed before a response");
    }
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
      int colon = l.indexOf(':');
      headers
          .computeIfAbsent(
              l.substring(0, colon).trim().toLowerCase(Locale.ROOT),
              k -> new java.util.ArrayList<>())
          .add(l.substring(colon + 1).trim());
    }
    if (status == 101 || stopAfterHeaders) {
      return new Reply(status, headers, "");
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    List<String> te = headers.getOrDefault("transfer-encoding", List.of());
    List<String> cl = headers.getOrDefault("content-length", List.of());
    if (te.stream().anyMatch(v -> v.equalsIgnoreCase("chunked"))) {
      while (true) {
        String size = line(in);
        if (size == null) {
          break;
        }
        int n = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (n == 0) {
          line(in);
          break;
        }
        body.write(in.readNBytes(n));
        line(in);
      }
    } else if (!cl.isEmpty()) {
      body.write(in.readNBytes(Integer.parseInt(cl.get(0))));
    } else if (status != 204 && status != 304) {
      body.write(in.readAllBytes());
    }
    return new Reply(status, headers, body.toString(StandardCharsets.UTF_8));
  }

  /** One CRLF-terminated line, or null at end of stream. */
  static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
  }
}
