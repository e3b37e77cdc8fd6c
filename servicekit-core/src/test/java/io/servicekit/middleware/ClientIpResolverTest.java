package io.servicekit.middleware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.internal.net.IpAddresses;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Upstream clientip_test.go parity where kept, and the W-77 fixes. */
class ClientIpResolverTest {
  private static String resolve(ClientIpResolver r, String remote, String xff, String realIp) {
    return r.resolve(IpAddresses.hostOf(remote), xff == null ? List.of() : List.of(xff), realIp);
  }

  @Test
  void directConnection() {
    assertThat(resolve(ClientIpResolver.direct(), "1.2.3.4:5678", null, null)).isEqualTo("1.2.3.4");
  }

  @Test
  void defaultTrustsNoProxyW77() { // upstream _XForwardedFor_NoTrustedProxies trusted everyone
    assertThat(resolve(ClientIpResolver.direct(), "1.2.3.4:5678", "9.9.9.9", null))
        .isEqualTo("1.2.3.4");
    assertThat(resolve(ClientIpResolver.trusting(List.of()), "1.2.3.4:1", "9.9.9.9", "8.8.8.8"))
        .isEqualTo("1.2.3.4");
  }

  @Test
  void trustAllKeepsUpstreamLeftmostBehaviour() { // _XForwardedFor_NoTrustedProxies/_MultipleIPs
    ClientIpResolver all = ClientIpResolver.trustAll();
    assertThat(resolve(all, "1.2.3.4:5678", "9.9.9.9", null)).isEqualTo("9.9.9.9");
    assertThat(resolve(all, "1.2.3.4:5678", "9.9.9.9, 10.0.0.1, 10.0.0.2", null))
        .isEqualTo("9.9.9.9");
  }

  @Test
  void trustedProxy() { // _XForwardedFor_TrustedProxy
    ClientIpResolver r = ClientIpResolver.trusting("10.0.0.0/8");
    assertThat(resolve(r, "10.0.0.1:80", "203.0.113.5", null)).isEqualTo("203.0.113.5");
  }

  @Test
  void untrustedProxy() { // _XForwardedFor_UntrustedProxy
    ClientIpResolver r = ClientIpResolver.trusting("10.0.0.0/8");
    assertThat(resolve(r, "192.168.1.1:80", "203.0.113.5", null)).isEqualTo("192.168.1.1");
  }

  @Test
  void xRealIp() { // _XRealIP_TrustedProxy, _XRealIP_UntrustedProxy
    ClientIpResolver r = ClientIpResolver.trusting("10.0.0.0/8");
    assertThat(resolve(r, "10.0.0.1:80", null, "203.0.113.7")).isEqualTo("203.0.113.7");
    assertThat(resolve(r, "192.168.1.1:80", null, "203.0.113.7")).isEqualTo("192.168.1.1");
    assertThat(resolve(r, "10.0.0.1:80", null, "not-an-ip")).isEqualTo("10.0.0.1");
  }

  @Test
  void xffTakesPrecedenceOverXRealIp() {
    ClientIpResolver r = ClientIpResolver.trusting("10.0.0.0/8");
    assertThat(resolve(r, "10.0.0.1:80", "203.0.113.5", "203.0.113.7")).isEqualTo("203.0.113.5");
  }

  @Test
  void ipv6RemoteAddr() { // _IPv6_RemoteAddr and the unbracketed form Go mis-parsed (W-77)
    assertThat(IpAddresses.hostOf("[2001:db8::1]:12345")).isEqualTo("2001:db8::1");
    assertThat(IpAddresses.hostOf("2001:db8::1")).isEqualTo("2001:db8::1");
    assertThat(IpAddresses.hostOf("1.2.3.4")).isEqualTo("1.2.3.4"); // _BareIPWithoutPort
    assertThat(resolve(ClientIpResolver.direct(), "[2001:db8::1]:12345", null, null))
        .isEqualTo("2001:db8::1");
  }

  @Test
  void ipv6LocalhostTrustedProxy() {
    ClientIpResolver r = ClientIpResolver.trusting("::1");
    assertThat(resolve(r, "[::1]:8080", "203.0.113.9", null)).isEqualTo("203.0.113.9");
  }

  @Test
  void dockerBridge() { // _DockerBridgeNetwork, _DockerBridge_OutsideRange
    ClientIpResolver r = ClientIpResolver.trusting("172.17.0.0/16");
    assertThat(resolve(r, "172.17.0.1:80", "203.0.113.1", null)).isEqualTo("203.0.113.1");
    assertThat(resolve(r, "172.18.0.5:80", "203.0.113.1", null)).isEqualTo("172.18.0.5");
  }

  @ParameterizedTest // _MultipleTrustedCIDRs
  @CsvSource({
    "10.1.2.3:80, 203.0.113.1, 203.0.113.1",
    "192.168.5.5:80, 203.0.113.1, 203.0.113.1",
    "172.16.0.9:80, 203.0.113.1, 203.0.113.1",
    "8.8.8.8:80, spoofed, 8.8.8.8"
  })
  void multipleTrustedCidrs(String remote, String xff, String expected) {
    ClientIpResolver r = ClientIpResolver.trusting("10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12");
    assertThat(resolve(r, remote, xff, null)).isEqualTo(expected);
  }

  @Test
  void whitespaceAndEmptyXff() { // _WhitespaceInXFF, _EmptyXFF
    ClientIpResolver r = ClientIpResolver.trusting("10.0.0.0/8");
    assertThat(resolve(r, "10.0.0.1:80", "  203.0.113.5  ", null)).isEqualTo("203.0.113.5");
    assertThat(resolve(r, "10.0.0.1:80", "", null)).isEqualTo("10.0.0.1");
  }

  @Test
  void rateLimitBypassFromUntrustedSourceIgnored() { // _RateLimitBypass
    ClientIpResolver r = ClientIpResolver.trusting("10.0.0.0/8");
    assertThat(resolve(r, "198.51.100.7:1", "1.1.1.1", null)).isEqualTo("198.51.100.7");
  }

  @Test
  void rightmostUntrustedHopWinsSoClientCannotSpoofThroughProxyW77() {
    ClientIpResolver r = ClientIpResolver.trusting("10.0.0.0/8");
    // The client sent "X-Forwarded-For: 1.1.1.1"; our proxy appended the real peer 203.0.113.5.
    assertThat(resolve(r, "10.0.0.1:80", "1.1.1.1, 203.0.113.5", null)).isEqualTo("203.0.113.5");
    // Two trusted proxies in a row are skipped.
    assertThat(resolve(r, "10.0.0.1:80", "1.1.1.1, 203.0.113.5, 10.0.0.7", null))
        .isEqualTo("203.0.113.5");
    // Split over two header lines, same answer.
    assertThat(r.resolve("10.0.0.1", List.of("1.1.1.1", "203.0.113.5"), null))
        .isEqualTo("203.0.113.5");
  }

  @Test
  void hopsThatAreNotIpsAreNeverReturnedW77() {
    ClientIpResolver r = ClientIpResolver.trusting("10.0.0.0/8");
    assertThat(resolve(r, "10.0.0.1:80", "<script>", null)).isEqualTo("10.0.0.1");
    assertThat(resolve(r, "10.0.0.1:80", "evil.example, 10.0.0.9", null)).isEqualTo("10.0.0.9");
    assertThat(resolve(ClientIpResolver.trustAll(), "10.0.0.1:80", "a b c", null))
        .isEqualTo("10.0.0.1");
  }

  @Test
  void bareIpsAreSingleHosts() { // TestSetTrustedProxies_BareIPs
    ClientIpResolver r = ClientIpResolver.trusting("10.0.0.1", "::1");
    assertThat(r.isTrusted("10.0.0.1")).isTrue();
    assertThat(r.isTrusted("10.0.0.2")).isFalse();
    assertThat(r.isTrusted("::1")).isTrue();
    assertThat(r.isTrusted("::2")).isFalse();
  }

  @Test
  void invalidCidrIsAClearErrorNotSilentlySkipped() { // TestSetTrustedProxies_InvalidCIDR
    assertThatThrownBy(() -> ClientIpResolver.trusting("10.0.0.0/8", "not-a-cidr"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'not-a-cidr'");
    assertThatThrownBy(() -> ClientIpResolver.trusting("10.0.0.0/33"))
        .hasMessageContaining("prefix must be 0-32");
    // blank entries are skipped, as upstream
    assertThat(ClientIpResolver.trusting("", " ", "10.0.0.0/8").trustedProxies())
        .containsExactly("10.0.0.0/8");
  }

  @Test
  void instancesAreIndependent() { // TestClientIPExtractor_Instance
    ClientIpResolver a = ClientIpResolver.trusting("10.0.0.0/8");
    ClientIpResolver b = ClientIpResolver.trusting("192.168.0.0/16");
    assertThat(resolve(a, "10.0.0.1:1", "203.0.113.1", null)).isEqualTo("203.0.113.1");
    assertThat(resolve(b, "10.0.0.1:1", "203.0.113.1", null)).isEqualTo("10.0.0.1");
  }

  @Test
  void literalParsingNeverResolvesNames() {
    assertThat(IpAddresses.parse("localhost")).isEmpty();
    assertThat(IpAddresses.parse("256.1.1.1")).isEmpty();
    assertThat(IpAddresses.parse("1.2.3")).isEmpty();
    assertThat(IpAddresses.parse("[2001:db8::1]")).isPresent();
    assertThat(IpAddresses.parse("::ffff:10.0.0.1")).isPresent();
    assertThat(ClientIpResolver.trusting("10.0.0.0/8").isTrusted("::ffff:10.0.0.1")).isTrue();
  }
}
