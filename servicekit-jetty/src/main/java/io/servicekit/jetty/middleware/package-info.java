/**
 * HTTP middleware for ServiceKit routes as Jetty {@code Handler.Wrapper}s: compose them with a
 * {@link io.servicekit.jetty.middleware.Guard} and wrap WebSocket, SSE and plain HTTP routes alike.
 * The policies (token buckets, client IP resolution, origin patterns) live in {@code
 * io.servicekit.middleware} and are testable without HTTP. No wrapper here buffers or replaces the
 * response, so upgrades and streaming responses pass through (the Go library's logger broke them:
 * W-75).
 */
package io.servicekit.jetty.middleware;
