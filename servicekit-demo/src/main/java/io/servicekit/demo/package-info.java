/**
 * The runnable ServiceKit demo server ({@link io.servicekit.demo.DemoServer}): WebSocket echo, a
 * chat with rooms, a time feed with HTTP publishing, a health check and a browser page.
 */
package io.servicekit.demo;
