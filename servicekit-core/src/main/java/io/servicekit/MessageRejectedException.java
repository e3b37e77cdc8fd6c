package io.servicekit;

/**
 * Thrown from {@code onMessage} to refuse one message without ending the connection: the default
 * {@link WsListener#onError} answers the client with the error envelope {@code
 * {"error":"<message>","type":"error"}} and keeps reading. Use it for requests a client can correct
 * (an unknown type, a missing field, a forbidden action); throw a {@link CloseException} when the
 * connection should end instead.
 */
public class MessageRejectedException extends ServiceKitException {
  public MessageRejectedException(String message) {
    // The stack trace says nothing to the client and costs a walk per refused message.
    super(message, null, false, false);
  }
}
