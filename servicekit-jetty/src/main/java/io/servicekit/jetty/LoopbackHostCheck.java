package io.servicekit.jetty;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS rebinding protection for a server bound to loopback: a request whose {@code Host} names
 * anything but a loopback host — {@code localhost}, an address in {@code 127.0.0.0/8}, {@code
 * [::1]}, with any port — or one of the extra allowed names is answered <b>403</b> {@code Host
 * "evil.example:8080" not allowed (loopbackHostCheck): ...} with {@code Connection: close},
 * WebSocket upgrades included. A page from {@code evil.example} whose name was re-pointed at
 * 127.0.0.1 sends {@code Host: evil.example}, so it cannot reach the local server. A request
 * without {@code Host} (HTTP/1.0; browsers always send one) passes.
 */
final class LoopbackHostCheck extends Handler.Wrapper {
  private static final Logger LOG = LoggerFactory.getLogger(LoopbackHostCheck.class);

  private final Set<String> extra; // lower case, without port

  LoopbackHostCheck(Handler next, Set<String> extra) {
    super(next);
    this.extra = extra;
  }

  /** Whether {@code host} (a bind address or name; null means all interfaces) is loopback. */
  static boolean isLoopbackBind(@Nullable String host) {
    if (host == null || host.isBlank()) {
      return false;
    }
    String h = host.strip();
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (isLoopbackName(h.toLowerCase(Locale.ROOT))) {
      return true;
    }
    try {
      InetAddress[] all = InetAddress.getAllByName(h);
      for (InetAddress a : all) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return all.length > 0;
    } catch (UnknownHostException e) {
      return false; // the connector reports the bad name when it binds
    }
  }

  /** Whether a {@code Host} header's host part (lower case, brackets kept) is loopback. */
  static boolean isLoopbackName(String host) {
    if (host.equals("localhost")) {
      return true;
    }
    if (host.equals("[::1]") || host.equals("::1")) {
      return true;
    }
    return isLoopbackV4(host);
  }

  private static boolean isLoopbackV4(String host) {
    String[] parts = host.split("\\.", -1);
    if (parts.length != 4 || !parts[0].equals("127")) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return false;
      }
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  /** The host part of a {@code Host} header value, lower case ({@code [::1]} keeps brackets). */
  static String hostPart(String authority) {
    String a = authority.strip().toLowerCase(Locale.ROOT);
    if (a.startsWith("[")) {
      int end = a.indexOf(']');
      return end < 0 ? a : a.substring(0, end + 1);
    }
    int colon = a.indexOf(':');
    String h = colon < 0 ? a : a.substring(0, colon);
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  boolean allowed(String authority) {
    String host = hostPart(authority);
    return isLoopbackName(host) || extra.contains(host);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    List<String> hosts = request.getHeaders().getValuesList(HttpHeader.HOST);
    for (String host : hosts) {
      if (!allowed(host)) {
        LOG.atWarn()
            .setMessage("request refused: Host not a loopback name")
            .addKeyValue("component", "hostcheck")
            .addKeyValue("host", host)
            .addKeyValue("remote", Request.getRemoteAddr(request))
            .log();
        Responses.text(
            response,
            callback,
            HttpStatus.FORBIDDEN_403,
            "Host \""
                + abbreviate(host)
                + "\" not allowed (loopbackHostCheck): this server is bound to loopback and"
                + " answers only localhost, 127.0.0.0/8 and [::1]"
                + (extra.isEmpty()
                    ? ""
                    : " and " + String.join(", ", extra.stream().sorted().toList())),
            Map.of(HttpHeader.CONNECTION.asString(), HttpHeaderValue.CLOSE.asString()));
        return true;
      }
    }
    return super.handle(request, response, callback);
  }

  private static String abbreviate(String s) {
    String clean = s.replaceAll("[^\\x20-\\x7e]", "?");
    return clean.length() <= 100 ? clean : clean.substring(0, 100) + "...";
  }
}
