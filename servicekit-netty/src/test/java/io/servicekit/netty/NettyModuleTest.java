package io.servicekit.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.testkit.ApiSurface;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The module's descriptor exports only the API package, and that API is the checked-in {@code
 * api/servicekit-netty.txt} (regenerate with {@code -Dservicekit.api.update=true}).
 */
class NettyModuleTest {
  private static final Path CLASSES = Path.of("target", "classes");

  @Test
  void onlyTheApiPackageIsExported() {
    ModuleDescriptor d = ModuleFinder.of(CLASSES).findAll().iterator().next().descriptor();
    assertThat(d.name()).isEqualTo("io.servicekit.netty");
    assertThat(
            d.exports().stream()
                .map(e -> e.source() + (e.isQualified() ? " to " + e.targets() : ""))
                .collect(Collectors.toSet()))
        .containsExactly("io.servicekit.netty");
    assertThat(d.packages()).contains("io.servicekit.netty.internal");
  }

  @Test
  void publicApiMatchesTheCheckedInList() {
    ApiSurface.assertMatches(
        CLASSES,
        Path.of("..", "api", "servicekit-netty.txt"),
        NettyModuleTest.class.getClassLoader());
  }
}
