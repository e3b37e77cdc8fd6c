package io.servicekit.jetty;

import java.io.IOException;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a {@link TlsConfig}'s files and swaps the certificate into the running {@link
 * SslContextFactory} when their content changes: new handshakes use the new one, open connections
 * keep theirs. A change that does not load is logged and retried at the next check.
 */
final class TlsReloader extends AbstractLifeCycle {
  private static final Logger LOG = LoggerFactory.getLogger(TlsReloader.class);

  private final TlsConfig config;
  private final SslContextFactory.Server factory;
  private final ReentrantLock lock = new ReentrantLock(); // one reload at a time
  private byte[] loaded; // guarded by lock: fingerprint of the files in use
  private @Nullable ScheduledExecutorService timer; // between start and stop

  TlsReloader(TlsConfig config, SslContextFactory.Server factory, byte[] loaded) {
    this.config = config;
    this.factory = factory;
    this.loaded = loaded;
  }

  @Override
  protected void doStart() {
    long ms = config.reloadInterval().toMillis();
    if (ms > 0) {
      timer =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "servicekit-tls-reload");
                t.setDaemon(true);
                return t;
              });
      timer.scheduleWithFixedDelay(this::check, ms, ms, TimeUnit.MILLISECONDS);
    }
  }

  @Override
  protected void doStop() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }

  private void check() {
    try {
      reload(false);
    } catch (RuntimeException e) {
      LOG.atWarn()
          .setMessage("TLS certificate changed but does not load; keeping the old one")
          .addKeyValue("files", config.files())
          .addKeyValue("problem", e.getMessage())
          .log();
    }
  }

  /**
   * Loads the files if they changed (or always, with {@code force}); returns whether a new
   * certificate is now in use.
   *
   * @throws IllegalArgumentException if the files do not load (the old certificate stays)
   */
  boolean reload(boolean force) {
    lock.lock();
    try {
      byte[] now;
      try {
        now = config.fingerprint();
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "TLS files " + config.files() + " cannot be read: " + e, e);
      }
      if (!force && Arrays.equals(now, loaded)) {
        return false;
      }
      KeyStore ks = config.load();
      try {
        factory.reload(f -> f.setKeyStore(ks));
      } catch (Exception e) {
        throw new IllegalArgumentException(
            "TLS files " + config.files() + " loaded but Jetty refused them: " + e.getMessage(), e);
      }
      loaded = now;
      LOG.atInfo()
          .setMessage("TLS certificate reloaded")
          .addKeyValue("files", config.files())
          .log();
      return true;
    } finally {
      lock.unlock();
    }
  }
}
