package io.servicekit.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The public API of a module as text: one line per public type and one per public or protected
 * member, sorted, so that a checked-in copy makes every API change visible in review. Used by the
 * project's API-list test; {@code -Dservicekit.api.update=true} rewrites the checked-in files.
 */
public final class ApiSurface {
  /** The system property that rewrites the checked-in lists instead of comparing. */
  public static final String UPDATE = "servicekit.api.update";

  private ApiSurface() {}

  /**
   * The packages that the descriptor in {@code classesDir} exports without qualification, or null
   * when the directory has no {@code module-info.class}.
   */
  static @Nullable Set<String> exportedPackages(Path classesDir) {
    if (!Files.exists(classesDir.resolve("module-info.class"))) {
      return null;
    }
    Set<String> out = new LinkedHashSet<>();
    for (ModuleReference ref : ModuleFinder.of(classesDir).findAll()) {
      for (ModuleDescriptor.Exports e : ref.descriptor().exports()) {
        if (!e.isQualified()) {
          out.add(e.source());
        }
      }
    }
    return out;
  }

  /**
   * The API lines of the classes compiled into {@code classesDir}, loaded (not initialised) with
   * {@code loader}: a type line ({@code type <modifiers> <kind> <name> [extends ...] [implements
   * ...]}) for each public type whose enclosing types are public too, followed by its public and
   * protected constructors, methods and fields (synthetic and bridge members left out). When the
   * directory holds a {@code module-info.class}, only the packages its descriptor exports to every
   * module count (qualified exports, such as internals shared between modules, are left out).
   */
  public static List<String> of(Path classesDir, ClassLoader loader) {
    Set<String> exported = exportedPackages(classesDir);
    List<String> names = new ArrayList<>();
    try (Stream<Path> files = Files.walk(classesDir)) {
      files
          .filter(p -> p.toString().endsWith(".class"))
          .map(p -> classesDir.relativize(p).toString())
          .filter(p -> !p.endsWith("module-info.class") && !p.endsWith("package-info.class"))
          .map(p -> p.substring(0, p.length() - ".class".length()).replace('/', '.'))
          .sorted()
          .forEach(names::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + classesDir, e);
    }
    List<String> out = new ArrayList<>();
    for (String name : names) {
      Class<?> c;
      try {
        c = Class.forName(name, false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        throw new IllegalStateException("cannot load " + name + " from " + classesDir, e);
      }
      if (c.isSynthetic() || c.isAnonymousClass() || c.isLocalClass() || !visible(c)) {
        continue;
      }
      if (exported != null && !exported.contains(c.getPackageName())) {
        continue;
      }
      out.add(typeLine(c));
      List<String> members = new ArrayList<>();
      for (Constructor<?> k : c.getDeclaredConstructors()) {
        if (exposed(k)) {
          members.add("  " + k.toGenericString());
        }
      }
      for (Method m : c.getDeclaredMethods()) {
        if (exposed(m) && !m.isBridge()) {
          members.add("  " + m.toGenericString());
        }
      }
      for (Field f : c.getDeclaredFields()) {
        if (exposed(f)) {
          members.add("  " + f.toGenericString());
        }
      }
      members.sort(null);
      out.addAll(members);
    }
    return out;
  }

  /**
   * Fails, naming the lines added and removed, when the API of {@code classesDir} differs from
   * {@code apiFile}; with {@code -Dservicekit.api.update=true} it writes the file instead.
   */
  public static void assertMatches(Path classesDir, Path apiFile, ClassLoader loader) {
    List<String> now = of(classesDir, loader);
    try {
      if (Boolean.getBoolean(UPDATE)) {
        Files.createDirectories(apiFile.toAbsolutePath().getParent());
        Files.write(apiFile, now, StandardCharsets.UTF_8);
        return;
      }
      if (!Files.exists(apiFile)) {
        throw new AssertionError(
            apiFile + " does not exist: create it with -D" + UPDATE + "=true and review it");
      }
      List<String> checkedIn = Files.readAllLines(apiFile, StandardCharsets.UTF_8);
      if (checkedIn.equals(now)) {
        return;
      }
      Set<String> added = new LinkedHashSet<>(now);
      checkedIn.forEach(added::remove);
      Set<String> removed = new LinkedHashSet<>(checkedIn);
      now.forEach(removed::remove);
      StringBuilder msg =
          new StringBuilder("the public API of ")
              .append(classesDir)
              .append(" differs from ")
              .append(apiFile)
              .append(" (if the change is meant, rerun with -D")
              .append(UPDATE)
              .append("=true and commit the file):");
      added.stream().limit(40).forEach(l -> msg.append("\n+ ").append(l));
      removed.stream().limit(40).forEach(l -> msg.append("\n- ").append(l));
      if (added.isEmpty() && removed.isEmpty()) {
        msg.append("\n(same lines, different order)");
      }
      throw new AssertionError(msg.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean visible(Class<?> c) {
    for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
      if (!Modifier.isPublic(k.getModifiers())) {
        return false;
      }
    }
    return true;
  }

  private static boolean exposed(Member m) {
    int mod = m.getModifiers();
    return !m.isSynthetic() && (Modifier.isPublic(mod) || Modifier.isProtected(mod));
  }

  private static String typeLine(Class<?> c) {
    int mod = c.getModifiers() & ~Modifier.INTERFACE;
    if (c.isInterface()) {
      mod &= ~Modifier.ABSTRACT;
    }
    String kind =
        c.isAnnotation()
            ? "@interface"
            : c.isInterface()
                ? "interface"
                : c.isEnum() ? "enum" : c.isRecord() ? "record" : "class";
    if (c.isEnum() || c.isRecord()) {
      mod &= ~Modifier.FINAL;
    }
    StringBuilder line = new StringBuilder("type ");
    String modifiers = Modifier.toString(mod);
    if (!modifiers.isEmpty()) {
      line.append(modifiers).append(' ');
    }
    if (c.isSealed()) {
      line.append("sealed ");
    }
    line.append(kind).append(' ').append(c.getName());
    if (c.getGenericSuperclass() != null
        && c.getSuperclass() != Object.class
        && !c.isEnum()
        && !c.isRecord()) {
      line.append(" extends ").append(c.getGenericSuperclass().getTypeName());
    }
    if (c.getGenericInterfaces().length > 0) {
      line.append(c.isInterface() ? " extends " : " implements ");
      line.append(
          String.join(
              ", ", Arrays.stream(c.getGenericInterfaces()).map(t -> t.getTypeName()).toList()));
    }
    return line.toString();
  }
}
