package io.servicekit.internal.net;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.Objects;

/**
 * An IPv4 or IPv6 network such as {@code 10.0.0.0/8} or {@code fd00::/8}; a bare address is a
 * single-host network ({@code /32} or {@code /128}). IPv4-mapped IPv6 addresses ({@code
 * ::ffff:10.0.0.1}) match IPv4 networks.
 */
public final class Cidr {
  private final byte[] network;
  private final int prefix;
  private final String text;

  private Cidr(byte[] network, int prefix, String text) {
    this.network = network;
    this.prefix = prefix;
    this.text = text;
  }

  /**
   * Parses {@code address/prefix} or a bare address.
   *
   * @throws IllegalArgumentException naming the entry, if it is not a valid network
   */
  public static Cidr parse(String cidr) {
    Objects.requireNonNull(cidr, "cidr");
    String s = cidr.trim();
    int slash = s.indexOf('/');
    String addr = slash < 0 ? s : s.substring(0, slash);
    InetAddress a =
        IpAddresses.parse(addr)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "trusted proxy must be an IP address or CIDR such as 10.0.0.0/8: '"
                            + cidr
                            + "'"));
    byte[] bytes = a.getAddress();
    int max = bytes.length * 8;
    int prefix = max;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > max) {
        throw new IllegalArgumentException(
            "CIDR prefix must be 0-" + max + " for " + addr + ": '" + cidr + "'");
      }
    }
    return new Cidr(mask(bytes, prefix), prefix, s);
  }

  /** Whether {@code address} lies in this network. */
  public boolean contains(InetAddress address) {
    byte[] bytes = unmapped(address.getAddress());
    if (bytes.length != network.length) {
      return false;
    }
    return Arrays.equals(mask(bytes, prefix), network);
  }

  private static byte[] unmapped(byte[] b) {
    if (b.length == 16) {
      boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
      for (int i = 0; i < 10 && mapped; i++) {
        mapped = b[i] == 0;
      }
      if (mapped) {
        return Arrays.copyOfRange(b, 12, 16);
      }
    }
    return b;
  }

  private static byte[] mask(byte[] bytes, int prefix) {
    byte[] out = bytes.clone();
    for (int i = 0; i < out.length; i++) {
      int bits = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] &= (byte) (0xff << (8 - bits));
    }
    return out;
  }

  @Override
  public String toString() {
    return text;
  }
}
