package io.servicekit.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Keeps documentation honest: every {@code ```java} block of a Markdown file must appear, line for
 * line (indentation and blank lines aside), in a Java source file that the build compiles.
 *
 * <pre>{@code
 * DocSnippets.assertJavaBlocksCompiled(Path.of("../docs/sse.md"), 5,
 *     Path.of("src/main/java"), Path.of("src/test/java"));
 * }</pre>
 */
public final class DocSnippets {
  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);

  private DocSnippets() {}

  /**
   * Asserts (throwing {@link AssertionError}) that {@code markdown} has at least {@code atLeast}
   * java blocks and that each is found in one of the {@code .java} files under {@code sourceRoots}.
   */
  public static void assertJavaBlocksCompiled(Path markdown, int atLeast, Path... sourceRoots) {
    List<String> sources = new ArrayList<>();
    try {
      for (Path root : sourceRoots) {
        try (Stream<Path> files = Files.walk(root)) {
          for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
            sources.add(normalise(Files.readString(f)));
          }
        }
      }
      Matcher blocks = JAVA_BLOCK.matcher(Files.readString(markdown));
      int count = 0;
      while (blocks.find()) {
        String block = normalise(blocks.group(1));
        if (sources.stream().noneMatch(s -> s.contains(block))) {
          throw new AssertionError(
              markdown + ": java block not found in the compiled sources:\n" + block);
        }
        count++;
      }
      if (count < atLeast) {
        throw new AssertionError(
            markdown + " has " + count + " java blocks, expected at least " + atLeast);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The non-blank lines of {@code code}, stripped, each ending in a newline. */
  static String normalise(String code) {
    StringBuilder out = new StringBuilder();
    for (String line : code.split("\n")) {
      String t = line.strip();
      if (!t.isEmpty()) {
        out.append(t).append('\n');
      }
    }
    return out.toString();
  }
}
