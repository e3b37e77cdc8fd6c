package io.servicekit.internal.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Parses IP address literals without ever resolving a name ({@link InetAddress#getByName} would do
 * a DNS lookup for anything that is not a literal).
 */
public final class IpAddresses {
  private IpAddresses() {}

  /**
   * Parses an IPv4 dotted quad or an IPv6 literal (optionally in brackets, optionally with a zone);
   * empty for anything else, including host names.
   */
  public static Optional<InetAddress> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    String s = text.trim();
    if (s.startsWith("[") && s.endsWith("]")) {
      s = s.substring(1, s.length() - 1);
    }
    if (s.isEmpty()) {
      return Optional.empty();
    }
    if (s.indexOf(':') >= 0) {
      int zone = s.indexOf('%');
      String address = zone < 0 ? s : s.substring(0, zone);
      for (int i = 0; i < address.length(); i++) {
        char c = address.charAt(i);
        if (Character.digit(c, 16) < 0 && c != ':' && c != '.') {
          return Optional.empty(); // not a literal: never hand it to the resolver
        }
      }
      try {
        return Optional.of(InetAddress.getByName(s)); // an IPv6 literal: parsed, not resolved
      } catch (UnknownHostException | SecurityException e) {
        return Optional.empty();
      }
    }
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return Optional.empty();
    }
    byte[] bytes = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3) {
        return Optional.empty();
      }
      int v = 0;
      for (int j = 0; j < p.length(); j++) {
        char c = p.charAt(j);
        if (c < '0' || c > '9') {
          return Optional.empty();
        }
        v = v * 10 + (c - '0');
      }
      if (v > 255) {
        return Optional.empty();
      }
      bytes[i] = (byte) v;
    }
    try {
      return Optional.of(InetAddress.getByAddress(bytes));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  /**
   * The host part of a remote address as Go's {@code RemoteAddr} writes it: {@code [v6]:port} →
   * {@code v6}, {@code a.b.c.d:port} → {@code a.b.c.d}, a bare address as is.
   */
  public static String hostOf(String remoteAddress) {
    String s = remoteAddress.trim();
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      return close > 0 ? s.substring(1, close) : s;
    }
    int colon = s.indexOf(':');
    if (colon > 0 && colon == s.lastIndexOf(':')) {
      return s.substring(0, colon); // exactly one colon: IPv4 (or name) with a port
    }
    return s; // bare IPv4, or an unbracketed IPv6 literal (W-77: Go mis-parsed this)
  }
}
