/**
 * The seed README's Go code samples translated to ServiceKit for Java, one class per sample, each
 * exercised by a test over a real server. Each class's documentation names the README sample it
 * translates and what differs from the Go version and why: mostly the Go library's defects that the
 * samples inherit or add (ignored send results, unsynchronised shared maps, blocking broadcasts,
 * unchecked type assertions that panic on bad input, handler errors that are silently dropped).
 *
 * <p>Common to all of them: sends never block and return whether the message was queued; {@code
 * false} means the connection is closing or closed (or its slow-consumer policy refused the
 * message, which by default closes it), so the library is already ending that connection. The
 * examples check the result where something depends on it and otherwise let the close path do its
 * work. Shared state is a {@link io.servicekit.Hub}, and membership ends with the connection.
 * Application-level mistakes in a message are answered with the error envelope {@code
 * {"error":"...","type":"error"}} while the connection stays open; undecodable JSON closes with
 * 1007 unless {@code onError} says otherwise.
 *
 * <table>
 * <caption>README sample → Java class</caption>
 * <tr><th>README section</th><th>class</th></tr>
 * <tr><td>Basic Usage 1. Simple Echo Server</td><td>{@link io.servicekit.examples.EchoExample}</td></tr>
 * <tr><td>Basic Usage 2. Custom Message Types</td><td>{@link io.servicekit.examples.GameConnExample}</td></tr>
 * <tr><td>Advanced Features 1. Connection Management and Broadcasting</td><td>{@link io.servicekit.examples.ChatServerExample}</td></tr>
 * <tr><td>Advanced Features 2. Custom Ping-Pong Handling</td><td>{@link io.servicekit.examples.CustomPingPongExample}</td></tr>
 * <tr><td>Advanced Features 3. Authentication and Authorization</td><td>{@link io.servicekit.examples.AuthExample}</td></tr>
 * <tr><td>Configuration (custom, environment-specific)</td><td>{@link io.servicekit.examples.ConfigExamples}</td></tr>
 * <tr><td>Error Handling and Resilience (ResilientConn)</td><td>{@link io.servicekit.examples.ResilientConnExample}</td></tr>
 * <tr><td>Performance Optimization (ConnectionManager)</td><td>{@link io.servicekit.examples.ConnectionManagerExample}</td></tr>
 * <tr><td>Common Patterns: Hub Pattern for Broadcasting</td><td>{@link io.servicekit.examples.HubPatternExample}</td></tr>
 * <tr><td>Common Patterns: Room-based Messaging</td><td>{@link io.servicekit.examples.RoomExample}</td></tr>
 * </table>
 */
package io.servicekit.examples;
