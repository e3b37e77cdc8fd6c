package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each library module's compiled descriptor ({@code target/classes/module-info.class}) has the
 * expected name and exports no package with an {@code internal} segment except to named ServiceKit
 * or Jetty modules; the internal packages that exist are checked by name, so an empty descriptor
 * cannot pass.
 */
class ModuleDescriptorTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "servicekit-core, io.servicekit, io.servicekit.internal io.servicekit.internal.driver io.servicekit.internal.lifecycle io.servicekit.internal.net",
    "servicekit-client, io.servicekit.client, ''",
    "servicekit-testkit, io.servicekit.testkit, ''",
    "servicekit-jetty, io.servicekit.jetty, ''",
    "servicekit-redis, io.servicekit.redis, ''",
    "servicekit-grpc, io.servicekit.grpc, ''",
    "servicekit-mcp, io.servicekit.mcp, ''"
  })
  void internalsAreNotExportedToEveryone(String dir, String name, String internals) {
    Path classes = Path.of("..", dir, "target", "classes");
    assertThat(classes.resolve("module-info.class")).exists();
    List<ModuleReference> refs = List.copyOf(ModuleFinder.of(classes).findAll());
    assertThat(refs).hasSize(1);
    ModuleDescriptor d = refs.get(0).descriptor();
    assertThat(d.name()).isEqualTo(name);
    assertThat(d.isAutomatic()).isFalse();
    assertThat(d.isOpen()).as("%s is not an open module", name).isFalse();
    assertThat(d.opens()).as("%s opens no package", name).isEmpty();
    assertThat(d.exports()).as("%s exports something", name).isNotEmpty();
    for (ModuleDescriptor.Exports e : d.exports()) {
      boolean internal = Arrays.asList(e.source().split("\\.")).contains("internal");
      if (internal) {
        assertThat(e.isQualified())
            .as("%s exports %s to everyone: an internal package must be qualified", name, e)
            .isTrue();
        assertThat(e.targets())
            .allSatisfy(
                t -> assertThat(t).matches("io\\.servicekit\\..+|org\\.eclipse\\.jetty\\..+"));
      }
    }
    for (String pkg : internals.isBlank() ? new String[0] : internals.split(" ")) {
      assertThat(d.packages()).as("%s holds %s", name, pkg).contains(pkg);
      assertThat(d.exports())
          .as("%s does not export %s to everyone", name, pkg)
          .noneMatch(e -> e.source().equals(pkg) && !e.isQualified());
    }
    Set<String> unqualified =
        d.exports().stream()
            .filter(e -> !e.isQualified())
            .map(ModuleDescriptor.Exports::source)
            .collect(java.util.stream.Collectors.toSet());
    assertThat(unqualified).allSatisfy(p -> assertThat(p).doesNotContain(".internal"));
  }
}
