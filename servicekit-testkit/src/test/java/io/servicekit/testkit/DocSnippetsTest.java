package io.servicekit.testkit;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DocSnippetsTest {
  @TempDir Path dir;

  private Path setUp(String block) throws Exception {
    Path src = Files.createDirectories(dir.resolve("src"));
    Files.writeString(
        src.resolve("A.java"), "class A {\n  void run() {\n    int x = 1;\n\n    x++;\n  }\n}\n");
    return Files.writeString(dir.resolve("doc.md"), "# Doc\n\n```java\n" + block + "```\n");
  }

  @Test
  void aBlockQuotingTheSourcePassesWhateverItsIndentation() throws Exception {
    Path md = setUp("int x = 1;\nx++;\n");
    assertThatCode(() -> DocSnippets.assertJavaBlocksCompiled(md, 1, dir.resolve("src")))
        .doesNotThrowAnyException();
  }

  @Test
  void aBlockThatDriftedFromTheSourceFails() throws Exception {
    Path md = setUp("int x = 2;\nx++;\n");
    assertThatThrownBy(() -> DocSnippets.assertJavaBlocksCompiled(md, 1, dir.resolve("src")))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("int x = 2;");
  }

  @Test
  void tooFewBlocksFail() throws Exception {
    Path md = setUp("int x = 1;\n");
    assertThatThrownBy(() -> DocSnippets.assertJavaBlocksCompiled(md, 2, dir.resolve("src")))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("1 java blocks, expected at least 2");
  }
}
