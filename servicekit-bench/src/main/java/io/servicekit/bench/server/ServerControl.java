package io.servicekit.bench.server;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The line protocol between a server under test and the runner: the server prints {@code PORT n}
 * once it listens, then answers commands read from standard input. {@code mem} runs a full GC and
 * prints {@code HEAP <bytes used after GC>}; {@code publish <text>} broadcasts {@code text} as one
 * Server-Sent Event to every open stream of the server's {@code /sse} endpoint (no answer); {@code
 * quit} or the end of input stops the process, so a server never outlives its runner.
 */
public final class ServerControl {
  /**
   * On {@code /broadcast}, this message is not broadcast: the server answers the sender alone with
   * {@link #FILL_CHUNKS} messages of {@link #FILL_CHUNK}, 8 MiB in all — more than the kernel
   * buffers of a loopback connection hold (tcp_wmem max 4 MiB), so towards a peer that never reads,
   * the server is left with writes pending in user space: a stalled subscriber.
   */
  public static final String FILL_REQUEST = "{\"type\":\"fill\"}";

  public static final int FILL_CHUNKS = 128;
  public static final String FILL_CHUNK = "x".repeat(64 * 1024);

  private ServerControl() {}

  /** The command prefix of an SSE broadcast: {@code publish <one line of text>}. */
  public static final String PUBLISH = "publish ";

  /**
   * Announces {@code port} and serves commands until told to stop; then runs {@code stop}. {@code
   * publish} receives the text of each {@code publish} command, on this (the control) thread.
   */
  public static void serve(int port, Runnable stop, Consumer<String> publish) throws Exception {
    System.out.println("PORT " + port);
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith(PUBLISH)) {
        publish.accept(line.substring(PUBLISH.length()));
        continue;
      }
      switch (line.trim()) {
        case "mem" -> {
          System.out.println("HEAP " + heapAfterGc());
          System.out.flush();
        }
        case "quit" -> {
          stop.run();
          System.exit(0);
        }
        default -> {
          System.out.println("ERROR unknown command: " + line);
          System.out.flush();
        }
      }
    }
    stop.run();
    System.exit(0);
  }

  /** Heap used after two full collections, like {@code jcmd GC.run} then {@code GC.heap_info}. */
  static long heapAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    memory.gc();
    memory.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }
}
