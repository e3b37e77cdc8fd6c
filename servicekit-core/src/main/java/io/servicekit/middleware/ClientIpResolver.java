package io.servicekit.middleware;

import io.servicekit.internal.net.Cidr;
import io.servicekit.internal.net.IpAddresses;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Finds the client's IP address behind reverse proxies that you trust, so that a client cannot
 * choose the address it is rate-limited and logged under.
 *
 * <ul>
 *   <li>{@link #direct()} (the default): proxy headers are ignored; the socket's address is the
 *       client. (The Go library trusted everyone by default: W-77.)
 *   <li>{@link #trusting(List)}: when the socket peer is a trusted proxy, {@code X-Forwarded-For}
 *       is read <em>from the right</em>, skipping trusted proxies; the first untrusted hop is the
 *       client. Hops to its left were written by the client and are never believed. (The Go library
 *       took the left-most entry: W-77.) Without {@code X-Forwarded-For}, a valid {@code X-Real-IP}
 *       from a trusted proxy is used.
 *   <li>{@link #trustAll()}: every peer is a proxy, so the left-most valid hop wins: the Go
 *       library's default, for a server reachable only through proxies you control.
 * </ul>
 *
 * Header values that are not IP literals are never returned: a malformed hop ends the walk and the
 * nearest trusted address is used. Immutable and thread-safe.
 */
public final class ClientIpResolver {
  private final List<Cidr> trusted;
  private final boolean trustAll;

  private ClientIpResolver(List<Cidr> trusted, boolean trustAll) {
    this.trusted = trusted;
    this.trustAll = trustAll;
  }

  /** Trusts no proxy: the client is the socket peer. */
  public static ClientIpResolver direct() {
    return new ClientIpResolver(List.of(), false);
  }

  /** Trusts every peer as a proxy (the Go library's default; only behind your own proxies). */
  public static ClientIpResolver trustAll() {
    return new ClientIpResolver(List.of(), true);
  }

  /**
   * Trusts the proxies in {@code cidrs} (CIDRs such as {@code 10.0.0.0/8} or bare addresses; blank
   * entries are skipped). An empty list is {@link #direct()}.
   *
   * @throws IllegalArgumentException naming the entry, for an entry that is not an address or CIDR
   */
  public static ClientIpResolver trusting(List<String> cidrs) {
    List<Cidr> parsed = new ArrayList<>();
    for (String c : cidrs) {
      if (c != null && !c.isBlank()) {
        parsed.add(Cidr.parse(c));
      }
    }
    return new ClientIpResolver(List.copyOf(parsed), false);
  }

  /** {@link #trusting(List)} with varargs. */
  public static ClientIpResolver trusting(String... cidrs) {
    return trusting(List.of(cidrs));
  }

  /**
   * The trusted networks in CIDR notation, e.g. {@code "10.0.0.0/8"} (empty for {@link #direct()}
   * and {@link #trustAll()}).
   */
  public List<String> trustedProxies() {
    return trusted.stream().map(Cidr::toString).toList();
  }

  /** Whether {@code address} is a trusted proxy. */
  public boolean isTrusted(String address) {
    if (trustAll) {
      return true;
    }
    if (trusted.isEmpty()) {
      return false;
    }
    Optional<InetAddress> a = IpAddresses.parse(address);
    return a.isPresent() && trusted.stream().anyMatch(c -> c.contains(a.get()));
  }

  /**
   * The client address.
   *
   * @param peer the socket peer's address (host part only, e.g. {@code 10.0.0.2} or {@code ::1})
   * @param forwardedFor every {@code X-Forwarded-For} header value in order (may be empty)
   * @param realIp the {@code X-Real-IP} header, or null
   */
  public String resolve(String peer, List<String> forwardedFor, String realIp) {
    Objects.requireNonNull(peer, "peer");
    if (!isTrusted(peer)) {
      return peer;
    }
    List<String> hops = new ArrayList<>();
    for (String value : forwardedFor) {
      for (String hop : value.split(",")) {
        if (!hop.isBlank()) {
          hops.add(hop.trim());
        }
      }
    }
    if (hops.isEmpty()) {
      if (realIp != null && IpAddresses.parse(realIp).isPresent()) {
        return canonical(realIp);
      }
      return peer;
    }
    String nearest = peer;
    for (int i = hops.size() - 1; i >= 0; i--) {
      String hop = hops.get(i);
      if (IpAddresses.parse(hop).isEmpty()) {
        return nearest; // garbage: nothing to its left can be believed either
      }
      if (!isTrusted(hop)) {
        return canonical(hop);
      }
      nearest = canonical(hop);
    }
    return nearest; // every hop is a trusted proxy: the left-most is the client
  }

  private static String canonical(String ip) {
    String s = ip.trim();
    return s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
  }
}
