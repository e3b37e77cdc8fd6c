/**
 * The demo's production wiring: guard, metrics, health and graceful shutdown ({@link
 * io.servicekit.demo.ops.DemoOps}).
 */
package io.servicekit.demo.ops;
