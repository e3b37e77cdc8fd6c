/** ServiceKit test kit: fake scheduler, recording test clients and raw RFC 6455 frames. */
module io.servicekit.testkit {
  requires transitive io.servicekit;
  requires transitive java.net.http;
  requires static transitive org.jspecify; // @Nullable in signatures; not needed at run time
  requires static transitive org.junit.jupiter.api; // ChannelHistoryContract

  exports io.servicekit.testkit;
}
