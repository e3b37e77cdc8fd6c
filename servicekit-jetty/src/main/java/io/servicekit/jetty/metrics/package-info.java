/**
 * Metrics bindings: {@link io.servicekit.jetty.metrics.MicrometerMetrics} (optional Micrometer).
 */
package io.servicekit.jetty.metrics;
