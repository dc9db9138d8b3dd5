/**
 * Splits a TCP byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes. Owns the
 * partial state between chunks. It yields a frame as a view into the chunk (no copy) whenever the frame
 * lies inside one chunk, and copies only frames that span chunks. It must never allocate by a declared
 * size: memory follows the bytes received (at most twice them), never a 4-byte claim. A frame in a few
 * chunks (a 1 MiB produce arrives in two or three reads) is copied once, when its last byte arrives; a
 * frame in more than `pendingChunksMax` chunks (TLS records are 16 KiB, so a large frame over TLS is
 * hundreds) is assembled in a buffer that doubles up to the frame's size, so each byte is copied at
 * most three times rather than once per merge. A size above the limit or below zero is a typed error
 * that poisons the reader (the stream has lost framing and the connection must close).
 */

/** Kafka's default `socket.request.max.bytes`. */
export const frameBytesMaxDefault = 100 * 1024 * 1024;
/** The size prefix of every frame. */
export const frameSizePrefixBytes = 4;
/**
 * Pending chunks of an incomplete frame move into an assembly buffer once there are this many, so a
 * stream of tiny chunks cannot grow the chunk list without bound.
 */
export const pendingChunksMax = 256;
/** The smallest assembly buffer, so that a frame in tiny chunks does not double from a few bytes. */
export const assemblyBytesMin = 64 * 1024;

export type FrameErrorReason = "TooLarge" | "NegativeSize" | "Poisoned";

/** Thrown when the stream's framing is broken; the connection must be closed. */
export class FrameError extends Error {
  override readonly name = "FrameError";
  readonly _tag = "FrameError" as const;
  readonly reason: FrameErrorReason;
  /** The declared size that broke the rule, when there is one. */
  readonly frameBytes: number | undefined;

  constructor(reason: FrameErrorReason, message: string, frameBytes?: number) {
    super(`${reason}: ${message}`);
    this.reason = reason;
    this.frameBytes = frameBytes;
  }
}

export interface FrameReaderOptions {
  /** Largest frame body accepted, in bytes (default 100 MiB). */
  readonly frameBytesMax?: number;
  /**
   * Where a frame that spans chunks is copied to once whole: a buffer of exactly `bytes` (a pool's
   * recycled one, say); by default a new one. Its contents need not be zero: every byte is written.
   */
  readonly allocateFrame?: (bytes: number) => Uint8Array;
}

/** The reader's own assertions: a broken one is a bug here, never bad input. */
function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`FrameReader invariant failed: ${message}`);
}

function checkedLimit(frameBytesMax: number): number {
  if (!Number.isInteger(frameBytesMax) || frameBytesMax < 0 || frameBytesMax > 0x7fffffff) {
    throw new RangeError(`frameBytesMax ${frameBytesMax} must be an integer in [0, 2^31 - 1]`);
  }
  return frameBytesMax;
}

/**
 * Incremental frame reader. Feed chunks in arrival order with `push`; it returns the frames they
 * complete, in order. Frames may be views into pushed chunks: a caller that reuses chunk memory after
 * `push` returns must copy the frames it keeps.
 */
export class FrameReader {
  private limit: number;
  /** Bytes of the incomplete frame (size prefix first), oldest chunk first. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Body size of the frame being assembled, once its prefix is known; -1 before. */
  private frameBytes = -1;
  /**
   * Once a frame spans more than `pendingChunksMax` chunks: its body bytes so far (`assemblyBytes` of
   * them), in a buffer of at most `frameBytes`; `pending` then holds only the size prefix.
   */
  private assembly: Uint8Array | null = null;
  private assemblyBytes = 0;
  private copiedBytes = 0;
  private failure: FrameError | undefined;

  private readonly allocateFrame: (bytes: number) => Uint8Array;

  constructor(options: FrameReaderOptions = {}) {
    this.limit = checkedLimit(options.frameBytesMax ?? frameBytesMaxDefault);
    this.allocateFrame = options.allocateFrame ?? ((bytes) => new Uint8Array(bytes));
  }

  /** The largest frame body accepted; frames whose size prefix says more fail the reader. */
  get frameBytesMax(): number {
    return this.limit;
  }

  /**
   * Changes the limit for frames whose size prefix is read from now on (a SASL listener raises it
   * once a connection has authenticated, as Kafka's `sasl.server.max.receive.size` gives way).
   */
  setFrameBytesMax(frameBytesMax: number): void {
    this.limit = checkedLimit(frameBytesMax);
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Bytes this reader has copied to assemble frames that spanned chunks, since it was made: what the
   * one-copy promise for large frames is checked against.
   */
  get bytesCopied(): number {
    return this.copiedBytes;
  }

  /** True when no partial frame is held (a clean place for the peer to close). */
  get isIdle(): boolean {
    return this.pendingBytes === 0;
  }

  /** Adds one chunk and returns the frames (bodies, without the size) it completes. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failure !== undefined) {
      throw new FrameError(
        "Poisoned",
        `reader failed earlier: ${this.failure.message}`,
        this.failure.frameBytes,
      );
    }
    const frames: Uint8Array[] = [];
    let pos = 0;
    if (this.pendingBytes > 0) {
      pos = this.continuePending(chunk, frames);
      if (pos < 0) return frames;
    }
    // Fast path: frames lying wholly inside this chunk are returned as views.
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (chunk.length - pos >= frameSizePrefixBytes) {
      const size = this.checkSize(view.getInt32(pos));
      const end = pos + frameSizePrefixBytes + size;
      if (end > chunk.length) break;
      frames.push(chunk.subarray(pos + frameSizePrefixBytes, end));
      pos = end;
    }
    if (pos < chunk.length) {
      const rest = chunk.subarray(pos);
      this.pending = [rest];
      this.pendingBytes = rest.length;
      this.frameBytes = rest.length >= frameSizePrefixBytes ? this.checkSize(view.getInt32(pos)) : -1;
    }
    return frames;
  }

  private checkSize(size: number): number {
    const frameBytesMax = this.limit;
    if (size < 0) {
      this.failure = new FrameError("NegativeSize", `frame size ${size} is negative`, size);
      throw this.failure;
    }
    if (size > frameBytesMax) {
      this.failure = new FrameError(
        "TooLarge",
        `frame of ${size} bytes exceeds the limit of ${frameBytesMax}`,
        size,
      );
      throw this.failure;
    }
    return size;
  }

  /**
   * Feeds `chunk` to the partial frame held from earlier chunks. Returns the position in `chunk` where
   * unconsumed bytes start once the partial frame is complete, or -1 if the whole chunk was absorbed.
   */
  private continuePending(chunk: Uint8Array, frames: Uint8Array[]): number {
    if (this.frameBytes < 0) {
      // The size prefix itself spans chunks: take just enough bytes to complete it.
      const need = frameSizePrefixBytes - this.pendingBytes;
      if (chunk.length < need) {
        this.appendPending(chunk);
        return -1;
      }
      const prefix = new Uint8Array(frameSizePrefixBytes);
      this.copyPendingInto(prefix, 0);
      prefix.set(chunk.subarray(0, need), this.pendingBytes);
      const size = this.checkSize(new DataView(prefix.buffer).getInt32(0));
      this.resetPending();
      return this.startBody(chunk, need, size, frames);
    }
    const bodyHeld = this.pendingBytes - frameSizePrefixBytes;
    const need = this.frameBytes - bodyHeld;
    if (chunk.length < need) {
      this.appendPending(chunk);
      return -1;
    }
    if (this.assembly !== null) {
      // The assembly buffer grew to the frame's size as its bytes arrived: the frame is that buffer.
      this.appendAssembly(chunk.subarray(0, need));
      const whole = this.assembly!;
      invariant(whole.length === this.frameBytes && this.assemblyBytes === whole.length, "assembly is whole");
      frames.push(whole);
      this.resetPending();
      return need;
    }
    // All bytes are here now: this copy is sized by bytes received, never by the claim alone.
    const frame = this.allocateFrame(this.frameBytes);
    invariant(frame.length === this.frameBytes, "an allocated frame has the frame's size");
    this.copyPendingInto(frame, -frameSizePrefixBytes);
    frame.set(chunk.subarray(0, need), bodyHeld);
    this.copiedBytes += frame.length;
    frames.push(frame);
    this.resetPending();
    return need;
  }

  /** After a prefix completed from pending bytes, starts the body with bytes from `chunk[pos..]`. */
  private startBody(chunk: Uint8Array, pos: number, size: number, frames: Uint8Array[]): number {
    if (chunk.length - pos >= size) {
      frames.push(chunk.subarray(pos, pos + size));
      return pos + size;
    }
    this.frameBytes = size;
    // Keep a synthetic prefix so that pendingBytes keeps counting prefix plus body held.
    const prefix = new Uint8Array(frameSizePrefixBytes);
    new DataView(prefix.buffer).setInt32(0, size);
    this.pending.push(prefix);
    this.pendingBytes = frameSizePrefixBytes;
    this.appendPending(chunk.subarray(pos));
    return -1;
  }

  private appendPending(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.assembly !== null) {
      this.appendAssembly(bytes);
      return;
    }
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pending.length > pendingChunksMax) this.startAssembly();
  }

  /**
   * Moves the pending body bytes into an assembly buffer of twice their size (at least
   * `assemblyBytesMin`, at most the frame), leaving only the size prefix in `pending`. Merging the
   * chunk list into a buffer of exactly the bytes held, as this did before, copied every byte again at
   * each merge: a 100 MiB frame in 16 KiB chunks was copied about 25 times.
   */
  private startAssembly(): void {
    // With fewer than 4 bytes held a prefix cannot span more than 4 non-empty chunks.
    invariant(this.frameBytes >= 0, "only a frame whose size is known spans many chunks");
    const bodyHeld = this.pendingBytes - frameSizePrefixBytes;
    const capacity = Math.min(this.frameBytes, Math.max(2 * bodyHeld, assemblyBytesMin));
    invariant(bodyHeld < capacity, "an incomplete frame fits its assembly buffer with room to spare");
    const assembly = new Uint8Array(capacity);
    this.copyPendingInto(assembly, -frameSizePrefixBytes);
    this.copiedBytes += bodyHeld;
    const prefix = new Uint8Array(frameSizePrefixBytes);
    new DataView(prefix.buffer).setInt32(0, this.frameBytes);
    this.pending = [prefix];
    this.assembly = assembly;
    this.assemblyBytes = bodyHeld;
  }

  /** Copies body bytes into the assembly buffer, doubling it (up to the frame's size) when full. */
  private appendAssembly(bytes: Uint8Array): void {
    let assembly = this.assembly!;
    const needed = this.assemblyBytes + bytes.length;
    invariant(needed <= this.frameBytes, "the assembly buffer never takes bytes past its frame");
    if (needed > assembly.length) {
      // Memory still follows the bytes received: the new buffer is at most twice what is held.
      const grown = new Uint8Array(Math.min(this.frameBytes, Math.max(2 * assembly.length, needed)));
      grown.set(assembly.subarray(0, this.assemblyBytes));
      this.copiedBytes += this.assemblyBytes;
      assembly = grown;
      this.assembly = grown;
    }
    assembly.set(bytes, this.assemblyBytes);
    this.copiedBytes += bytes.length;
    this.assemblyBytes = needed;
    this.pendingBytes += bytes.length;
  }

  /**
   * Copies the pending bytes into `target`, shifted by `shift` (a negative shift drops that many leading
   * bytes, used to skip the size prefix).
   */
  private copyPendingInto(target: Uint8Array, shift: number): void {
    let at = shift;
    for (let i = 0; i < this.pending.length; i += 1) {
      let part = this.pending[i]!;
      if (at < 0) {
        const skip = Math.min(-at, part.length);
        part = part.subarray(skip);
        at += skip;
      }
      if (part.length > 0) {
        target.set(part, at);
        at += part.length;
      }
    }
  }

  private resetPending(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.frameBytes = -1;
    this.assembly = null;
    this.assemblyBytes = 0;
  }
}
