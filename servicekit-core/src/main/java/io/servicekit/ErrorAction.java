package io.servicekit;

/** What {@link WsListener#onError} wants done after an error. */
public enum ErrorAction {
  /** Close the connection with a close code fitting the error (1003, 1007, 1011, ...). */
  CLOSE,
  /** Keep the connection: the failed message is dropped and reading goes on. */
  CONTINUE
}
