/** Thrown by `send` when the client is closed (after `close()` or after it gave up reconnecting). */
export class NotConnectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotConnectedError";
  }
}

/** Thrown by `send` while the connection is down and the send queue already holds `maxQueue` messages. */
export class SendQueueFullError extends Error {
  constructor(readonly maxQueue: number) {
    super(
      `send queue is full: ${maxQueue} messages already wait for the connection to open ` +
        `(maxQueue=${maxQueue}); this message was not queued`,
    );
    this.name = "SendQueueFullError";
  }
}

/**
 * A frame the codec could not decode: the message says which kind of frame, which codec and why.
 * `WsClient` reports it as an `error` event and keeps the connection open.
 */
export class FrameDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FrameDecodeError";
  }
}

/** A failed HTTP request of the SSE and Streamable clients: the status and the start of the body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}
