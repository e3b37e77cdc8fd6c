package io.servicekit.jetty;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * OS signal handling through the JDK's {@code sun.misc.Signal} (module {@code jdk.unsupported},
 * present in every JDK since 9), reached by reflection because javac cannot be told to accept a
 * direct reference under {@code -Werror}. Java has no public signal API; a shutdown hook cannot
 * choose its signals, cannot see a second signal, and runs only once the JVM is already exiting.
 */
final class Signals {
  private Signals() {}

  /** Installed handlers; {@link #close()} puts the previous handlers back. */
  interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Handles {@code names} (e.g. {@code TERM}, {@code INT}, {@code USR2}) by calling {@code
   * onSignal} with the name, on a thread of the JVM's signal dispatcher.
   *
   * @throws IllegalArgumentException naming the signal, for one that is unknown or reserved by the
   *     JVM
   * @throws UnsupportedOperationException if this JDK has no {@code sun.misc.Signal}
   */
  static Registration handle(List<String> names, Consumer<String> onSignal) {
    Class<?> signalClass;
    Class<?> handlerClass;
    Constructor<?> newSignal;
    Method handle;
    Method getName;
    try {
      signalClass = Class.forName("sun.misc.Signal");
      handlerClass = Class.forName("sun.misc.SignalHandler");
      newSignal = signalClass.getConstructor(String.class);
      handle = signalClass.getMethod("handle", signalClass, handlerClass);
      getName = signalClass.getMethod("getName");
    } catch (ReflectiveOperationException e) {
      throw new UnsupportedOperationException(
          "this JDK has no sun.misc.Signal (module jdk.unsupported): use GracefulShutdown"
              + ".cancelOn(...) instead of signals",
          e);
    }
    Object handler =
        Proxy.newProxyInstance(
            Signals.class.getClassLoader(),
            new Class<?>[] {handlerClass},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "handle" -> {
                    onSignal.accept((String) getName.invoke(args[0]));
                    yield null;
                  }
                  case "equals" -> proxy == args[0];
                  case "hashCode" -> System.identityHashCode(proxy);
                  default -> "ServiceKit graceful shutdown signal handler";
                });
    List<Object[]> previous = new ArrayList<>();
    Registration registration =
        () -> {
          for (Object[] p : previous) {
            try {
              handle.invoke(null, p[0], p[1]);
            } catch (ReflectiveOperationException e) {
              // nothing better to do: the handler stays installed and ignores late signals
            }
          }
        };
    try {
      for (String name : names) {
        Object signal = newSignal.newInstance(name);
        previous.add(new Object[] {signal, handle.invoke(null, signal, handler)});
      }
    } catch (InvocationTargetException e) {
      registration.close();
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalArgumentException(
          "cannot handle signal " + names + ": " + cause.getMessage(), cause);
    } catch (ReflectiveOperationException e) {
      registration.close();
      throw new UnsupportedOperationException("cannot install signal handlers: " + e, e);
    }
    return registration;
  }

  /** Raises signal {@code name} in this process (for tests). */
  static void raise(String name) {
    try {
      Class<?> signalClass = Class.forName("sun.misc.Signal");
      Object signal = signalClass.getConstructor(String.class).newInstance(name);
      signalClass.getMethod("raise", signalClass).invoke(null, signal);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot raise SIG" + name, e);
    }
  }
}
