/**
 * ServiceKit client for browsers and Node: WebSocket with codecs, heartbeats, reconnection and a
 * send queue; channels (recovery, presence, request/reply); gRPC over WebSocket; Server-Sent Events with resumption; Streamable HTTP; mocks.
 * The browser bundle exposes all of this as the global `ServiceKit`.
 */
export { type BackoffOptions, DEFAULT_BACKOFF, backoffDelay, parseRetryAfter, resolveBackoff } from "./backoff.js";
export {
  ChannelClient,
  type ChannelClientEvents,
  type ChannelClientOptions,
  type ChannelClientStats,
  type ChannelPublication,
  type JoinEvent,
  type LeaveEvent,
  type PresenceMember,
  ReplyError,
  type RequestHandler,
  type RequestOptions,
  type ResyncEvent,
  type StreamPosition,
  type SubscribeOptions,
  type SubscribeReply,
  type SubscribedEvent,
  formatPosition,
  parsePosition,
} from "./channel-client.js";
export { BinaryCodec, type Codec, JsonCodec, RawCodec, frameText } from "./codec.js";
export { FrameDecodeError, HttpError, NotConnectedError, SendQueueFullError } from "./errors.js";
export {
  type ControlMessage,
  GrpcWsClient,
  type GrpcWsClientOptions,
  GrpcWsError,
  type GrpcWsEvents,
  MessageType,
  TypedGrpcWsClient,
} from "./grpcws-client.js";
export {
  MockFetchController,
  MockGrpcWsController,
  MockRequest,
  MockWSController,
  MockWebSocket,
  createMockFetch,
  createMockGrpcWsClient,
  createMockWSPair,
} from "./mock.js";
export { type FetchLike, SseClient, type SseClientEvents, type SseClientOptions, type SseState, SSE_INITIAL_DELAY, readText } from "./sse-client.js";
export { SseLimitError, type SseMessage, SseParser, type SseParserCallbacks, type SseParserLimits } from "./sse-parser.js";
export { StreamableClient, type StreamableClientOptions, type StreamableResult, iterateEvents } from "./streamable-client.js";
export {
  RETRYABLE_CLOSE_CODES,
  ReadyState,
  type WebSocketConstructor,
  type WebSocketLike,
  WsClient,
  type WsClientEvents,
  type WsClientOptions,
  type WsCloseInfo,
  type WsState,
  isRetryableClose,
} from "./ws-client.js";
