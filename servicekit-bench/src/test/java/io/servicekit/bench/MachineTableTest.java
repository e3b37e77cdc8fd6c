package io.servicekit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The report's machine table names the Netty the raw Netty peer runs on, and its transport. */
class MachineTableTest {
  @Test
  void nettyRowNamesTheVersionAndTheTransport() {
    assertThat(BenchRunner.nettyVersion()).matches("4\\.2\\.18\\.Final, (epoll|NIO .*)");
  }
}
