package io.servicekit.bench;

import io.servicekit.channel.Presence;
import java.util.Locale;

/**
 * Retained heap of {@link Presence} per member: 100,000 local joins (10 channels of 10,000 users,
 * one connection each), measured as the used heap after GC minus the used heap before, with the
 * user and connection id strings created and kept beforehand (they belong to the connections, not
 * to presence). Run it with JDK 25 on the classpath of servicekit-core and servicekit-bench
 * (classes, Jackson 3 and slf4j-api): {@code java -Xmx1g -XX:+UseG1GC -cp ...
 * io.servicekit.bench.PresenceMemory}.
 */
public final class PresenceMemory {
  private PresenceMemory() {}

  static long used() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 5; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  /** Prints bytes per member. */
  public static void main(String[] args) {
    int channels = 10;
    int perChannel = 10_000;
    int n = channels * perChannel;
    String[] users = new String[n];
    String[] conns = new String[n];
    String[] names = new String[channels];
    for (int c = 0; c < channels; c++) {
      names[c] = "room-" + c;
    }
    for (int i = 0; i < n; i++) {
      users[i] = "user-" + i;
      conns[i] = "conn-" + i;
    }
    long before = used();
    Presence p = Presence.local();
    for (int i = 0; i < n; i++) {
      p.join(names[i % channels], users[i], conns[i]);
    }
    long after = used();
    System.out.printf(
        Locale.ROOT,
        "presence: %d members in %d channels, %.1f bytes per member retained (stats estimate %.1f)%n",
        p.stats().members(),
        p.stats().channels(),
        (after - before) / (double) n,
        p.stats().estimatedBytes() / (double) n);
    p.close();
    if (users.length + conns.length == 0) {
      System.out.println("unreachable");
    }
  }
}
