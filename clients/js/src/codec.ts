/**
 * Codecs turn WebSocket frames into application messages and back.
 *
 * A codec decodes what the server sends (`I`) and encodes what the application sends (`O`). Text
 * frames arrive as `string`, binary frames as `ArrayBuffer` (clients set `binaryType` to
 * `"arraybuffer"`).
 */
export interface Codec<I, O> {
  /** A short name for error messages, e.g. `"json"`. */
  readonly name: string;
  /** Decodes one frame; throws on data it cannot read. */
  decode(data: string | ArrayBuffer): I;
  /** Encodes one message into the frame to send (a string is sent as a text frame). */
  encode(message: O): string | ArrayBuffer | Uint8Array;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Reads a frame as UTF-8 text (binary frames are decoded strictly). */
export function frameText(data: string | ArrayBuffer): string {
  return typeof data === "string" ? data : utf8.decode(new Uint8Array(data));
}

/** JSON in text frames (the default): `JSON.parse` / `JSON.stringify`; binary frames are read as UTF-8 JSON. */
export class JsonCodec<I = unknown, O = unknown> implements Codec<I, O> {
  readonly name = "json";
  decode(data: string | ArrayBuffer): I {
    return JSON.parse(frameText(data)) as I;
  }
  encode(message: O): string {
    const text = JSON.stringify(message);
    if (text === undefined) {
      throw new TypeError("JsonCodec cannot encode " + typeof message);
    }
    return text;
  }
}

/**
 * No decoding at all: text frames arrive as strings, binary frames as `ArrayBuffer`, and
 * whatever the application sends (string, `ArrayBuffer`, typed array) goes out unchanged.
 */
export class RawCodec implements Codec<string | ArrayBuffer, string | ArrayBuffer | Uint8Array> {
  readonly name = "raw";
  decode(data: string | ArrayBuffer): string | ArrayBuffer {
    return data;
  }
  encode(message: string | ArrayBuffer | Uint8Array): string | ArrayBuffer | Uint8Array {
    if (typeof message !== "string" && !(message instanceof ArrayBuffer) && !ArrayBuffer.isView(message)) {
      throw new TypeError("RawCodec sends strings, ArrayBuffers or typed arrays, got " + typeof message);
    }
    return message;
  }
}

/**
 * Binary frames only (e.g. protobuf): `decode` gets the frame's bytes, `encode` returns bytes.
 * A text frame is an error ("BinaryCodec received a text frame, expected binary").
 */
export class BinaryCodec<I, O> implements Codec<I, O> {
  readonly name = "binary";
  constructor(
    private readonly decodeBytes: (bytes: Uint8Array) => I,
    private readonly encodeBytes: (message: O) => Uint8Array,
  ) {}
  decode(data: string | ArrayBuffer): I {
    if (typeof data === "string") {
      throw new TypeError("BinaryCodec received a text frame, expected binary");
    }
    return this.decodeBytes(new Uint8Array(data));
  }
  encode(message: O): ArrayBuffer {
    const bytes = this.encodeBytes(message);
    // a tight copy: the view may cover only part of a larger buffer
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
}
