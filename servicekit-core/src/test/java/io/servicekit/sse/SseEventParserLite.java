package io.servicekit.sse;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads back what an {@link SseConnection} wrote, for core tests: the output is known to use LF
 * only, so this is not a general parser (that is the test kit's {@code SseEventParser}).
 */
final class SseEventParserLite {
  record Event(String event, String data, String id) {}

  static List<Event> parse(String text) {
    List<Event> out = new ArrayList<>();
    for (String block : text.split("\n\n")) {
      String event = null;
      String id = null;
      StringBuilder data = null;
      for (String line : block.split("\n")) {
        if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("data: ")) {
          data = data == null ? new StringBuilder() : data.append('\n');
          data.append(line.substring(6));
        }
      }
      if (data != null) {
        out.add(new Event(event, data.toString(), id));
      }
    }
    return out;
  }

  private SseEventParserLite() {}
}
