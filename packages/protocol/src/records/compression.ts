/**
 * Compression of a batch's records section, through maintained libraries: gzip and zstd from the
 * runtime's zlib, snappy from `snappy` (napi) in the xerial framing Kafka's Java client writes, and lz4
 * from `lz4-napi` in the LZ4 frame format Kafka uses. All paths are synchronous. Owns only the framing
 * around those libraries and the bound on decompressed size; it must never hand-roll a codec, and never
 * let a compressed payload make us allocate more than the caller's limit. The libraries are looked up
 * at load time from the runtime (`runtime-modules.ts`) rather than imported, so the codec also bundles
 * for a browser, where every compressed codec throws an error naming the missing module (the
 * simulator's records are uncompressed).
 */

import type * as Zlib from "node:zlib";
import type * as Lz4 from "lz4-napi";
import type * as Snappy from "snappy";
import { builtinModule, nodePackage, unavailableInRuntime } from "../runtime-modules.ts";
import type { CompressionName } from "./batch-header.ts";
import { RecordBatchError } from "./record-batch-error.ts";

const zlibModule = builtinModule<typeof Zlib>("node:zlib");
const lz4Module = nodePackage<typeof Lz4>("lz4-napi", import.meta.url);
const snappyModule = nodePackage<typeof Snappy>("snappy", import.meta.url);

// Each codec asks for its module when it runs, so a runtime without one fails only that codec.
function zlib(): typeof Zlib {
  if (zlibModule === undefined) throw unavailableInRuntime("node:zlib (gzip, zstd)");
  return zlibModule;
}

function lz4(): typeof Lz4 {
  if (lz4Module === undefined) throw unavailableInRuntime("lz4-napi (lz4)");
  return lz4Module;
}

function snappy(): typeof Snappy {
  if (snappyModule === undefined) throw unavailableInRuntime("snappy");
  return snappyModule;
}

/** Default ceiling on the decompressed records of one batch: well above Kafka's 1 MiB message default. */
export const decompressedBytesMaxDefault = 128 * 1024 * 1024;

/** Kafka's Java client writes snappy in 32 KiB xerial blocks; we do the same. */
export const snappyXerialBlockBytes = 32 * 1024;
const xerialMagic = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00] as const;
const xerialHeaderBytes = 16;
const xerialVersion = 1;
const xerialCompatibleVersion = 1;

/** Upper bound on snappy's output per input byte (64 bytes from a 3-byte copy element). */
const snappyExpansionMax = 22;

const lz4FrameMagic = 0x184d2204;
/** LZ4 block maximum sizes by the BD byte's block-size id (4..7). */
const lz4BlockBytesMaxById = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024] as const;

export interface CompressOptions {
  /** Codec level for gzip (1-9) and zstd (1-22); others ignore it. */
  readonly level?: number;
}

function compressionError(codec: string, cause: unknown, position: number): RecordBatchError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new RecordBatchError("Compression", `${codec} payload does not decompress: ${detail}`, position);
}

function tooLarge(codec: string, bytes: number, limit: number, position: number): RecordBatchError {
  return new RecordBatchError(
    "TooLarge",
    `${codec} payload would decompress to ${bytes} bytes, above the limit of ${limit}`,
    position,
  );
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function asBytes(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Copies `parts` (of `total` bytes together) into one new array, in order. */
function joinParts(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// ---- snappy -------------------------------------------------------------------------------------

function isXerial(data: Uint8Array): boolean {
  if (data.length < xerialHeaderBytes) return false;
  for (let i = 0; i < xerialMagic.length; i += 1) if (data[i] !== xerialMagic[i]) return false;
  return true;
}

/** Reads the uncompressed length a raw snappy block declares (its leading varint), or -1 if malformed. */
function snappyDeclaredLength(data: Uint8Array, start: number, end: number): number {
  let value = 0;
  let scale = 1;
  for (let pos = start; pos < end && pos < start + 5; pos += 1) {
    const b = data[pos]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return value;
    scale *= 128;
  }
  return -1;
}

function snappyBlock(data: Uint8Array, budget: number, position: number): Uint8Array {
  const declared = snappyDeclaredLength(data, 0, data.length);
  if (declared < 0) throw compressionError("snappy", "bad length preamble", position);
  if (declared > budget) throw tooLarge("snappy", declared, budget, position);
  // A snappy element yields at most 64 bytes from 3 (a copy with a 2-byte offset), so a preamble
  // claiming more than that ratio is a lie; refuse it before the library allocates what it claims.
  if (declared > data.length * snappyExpansionMax + 32) {
    throw compressionError("snappy", `preamble claims ${declared} bytes from ${data.length}`, position);
  }
  try {
    return asBytes(snappy().uncompressSync(data, { asBuffer: true }) as Buffer);
  } catch (error) {
    throw compressionError("snappy", error, position);
  }
}

function decompressSnappy(data: Uint8Array, limit: number, position: number): Uint8Array {
  if (!isXerial(data)) return snappyBlock(data, limit, position);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const blocks: Uint8Array[] = [];
  let total = 0;
  let pos = xerialHeaderBytes;
  // Each pass consumes at least the 4-byte block length, so the loop is bounded by the input size.
  while (pos < data.length) {
    if (data.length - pos < 4)
      throw compressionError("snappy", "truncated xerial block length", position + pos);
    const blockBytes = view.getInt32(pos);
    pos += 4;
    if (blockBytes < 0 || blockBytes > data.length - pos) {
      throw compressionError(
        "snappy",
        `xerial block of ${blockBytes} bytes overruns the payload`,
        position + pos,
      );
    }
    const block = snappyBlock(data.subarray(pos, pos + blockBytes), limit - total, position + pos);
    blocks.push(block);
    total += block.length;
    pos += blockBytes;
  }
  return blocks.length === 1 ? blocks[0]! : joinParts(blocks, total);
}

function compressSnappy(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = xerialHeaderBytes;
  for (let start = 0; start < data.length; start += snappyXerialBlockBytes) {
    const block = snappy().compressSync(
      data.subarray(start, Math.min(data.length, start + snappyXerialBlockBytes)),
    );
    parts.push(block);
    total += 4 + block.length;
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(xerialMagic, 0);
  view.setInt32(8, xerialVersion);
  view.setInt32(12, xerialCompatibleVersion);
  let pos = xerialHeaderBytes;
  for (const part of parts) {
    view.setInt32(pos, part.length);
    out.set(part, pos + 4);
    pos += 4 + part.length;
  }
  return out;
}

// ---- lz4 ----------------------------------------------------------------------------------------

/** One data block of an LZ4 frame: where its bytes sit and how much output it may produce. */
interface Lz4Block {
  readonly start: number;
  readonly bytes: number;
  readonly isRaw: boolean;
  readonly outputBytesMax: number;
}

/** The blocks of an LZ4 payload, and whether any frame asks for checks only the library performs. */
interface Lz4Layout {
  readonly blocks: readonly Lz4Block[];
  readonly outputBytesMax: number;
  readonly needsLibraryFrameDecoder: boolean;
}

/**
 * An LZ4 sequence can expand at most 255 bytes of output per input byte of a length field; this bound
 * (with slack) caps a block's output by its compressed size as well as by the frame's block maximum.
 */
function lz4BlockOutputMax(blockBytes: number, blockBytesMax: number): number {
  return Math.min(blockBytesMax, blockBytes * 256 + 64);
}

/**
 * Walks the LZ4 frames of `data` without decompressing: finds every block, bounds the output, and refuses
 * truncated or malformed framing. Lets us refuse a bomb before anything allocates.
 */
function lz4Layout(data: Uint8Array, position: number): Lz4Layout {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const blocks: Lz4Block[] = [];
  let outputBytesMax = 0;
  let needsLibraryFrameDecoder = false;
  let pos = 0;
  const fail = (why: string): RecordBatchError => compressionError("lz4", why, position + pos);
  if (data.length === 0) throw fail("empty payload");
  while (pos < data.length) {
    if (data.length - pos < 7) throw fail("truncated frame header");
    if (view.getUint32(pos, true) !== lz4FrameMagic) throw fail("not an LZ4 frame (bad magic)");
    const flg = data[pos + 4]!;
    const bd = data[pos + 5]!;
    if (flg >> 6 !== 1) throw fail(`unsupported frame version ${flg >> 6}`);
    const blockBytesMax = lz4BlockBytesMaxById[(bd >> 4) & 0x07] ?? 0;
    if (blockBytesMax === 0) throw fail(`bad block size id ${(bd >> 4) & 0x07}`);
    const hasBlockChecksum = (flg & 0x10) !== 0;
    const hasContentSize = (flg & 0x08) !== 0;
    const hasContentChecksum = (flg & 0x04) !== 0;
    const hasDictId = (flg & 0x01) !== 0;
    const blocksIndependent = (flg & 0x20) !== 0;
    // Checksums, dictionaries and linked blocks are left to the library's frame decoder.
    if (hasBlockChecksum || hasContentChecksum || hasDictId || !blocksIndependent)
      needsLibraryFrameDecoder = true;
    pos += 6 + (hasContentSize ? 8 : 0) + (hasDictId ? 4 : 0) + 1;
    // Each pass consumes at least the 4-byte block size, so the loop is bounded by the input size.
    for (;;) {
      if (data.length - pos < 4) throw fail("truncated block size");
      const word = view.getUint32(pos, true);
      pos += 4;
      if (word === 0) break;
      const blockBytes = word & 0x7fffffff;
      const isRaw = word >>> 31 === 1;
      if (blockBytes > blockBytesMax) throw fail(`block of ${blockBytes} bytes above the frame's maximum`);
      if (blockBytes > data.length - pos) throw fail("block overruns the payload");
      const blockOutputMax = isRaw ? blockBytes : lz4BlockOutputMax(blockBytes, blockBytesMax);
      blocks.push({ start: pos, bytes: blockBytes, isRaw, outputBytesMax: blockOutputMax });
      outputBytesMax += blockOutputMax;
      pos += blockBytes + (hasBlockChecksum ? 4 : 0);
      if (pos > data.length) throw fail("block checksum overruns the payload");
    }
    pos += hasContentChecksum ? 4 : 0;
    if (pos > data.length) throw fail("truncated content checksum");
  }
  return { blocks, outputBytesMax, needsLibraryFrameDecoder };
}

/**
 * Decodes block by block with the library's block decoder. Kafka clients write independent blocks
 * without checksums; for them this is several times faster than the library's frame decoder.
 */
function decompressLz4Blocks(data: Uint8Array, layout: Lz4Layout, position: number): Uint8Array {
  // Checked before the loop: its Buffer use below exists only where the library does.
  if (lz4Module === undefined) throw compressionError("lz4", unavailableInRuntime("lz4-napi"), position);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const block of layout.blocks) {
    const body = data.subarray(block.start, block.start + block.bytes);
    if (block.isRaw) {
      parts.push(body);
      total += body.length;
      continue;
    }
    // The block API takes the output capacity as a 4-byte little-endian prefix.
    const input = Buffer.allocUnsafe(4 + block.bytes);
    input.writeUInt32LE(block.outputBytesMax, 0);
    input.set(body, 4);
    let out: Uint8Array;
    try {
      out = asBytes(lz4().uncompressSync(input));
    } catch (error) {
      throw compressionError("lz4", error, position + block.start);
    }
    parts.push(out);
    total += out.length;
  }
  return parts.length === 1 && !layout.blocks[0]!.isRaw ? parts[0]! : joinParts(parts, total);
}

function decompressLz4(data: Uint8Array, limit: number, position: number): Uint8Array {
  const layout = lz4Layout(data, position);
  if (layout.outputBytesMax > limit) throw tooLarge("lz4", layout.outputBytesMax, limit, position);
  if (!layout.needsLibraryFrameDecoder) return decompressLz4Blocks(data, layout, position);
  let out: Uint8Array;
  try {
    out = asBytes(lz4().decompressFrameSync(asBuffer(data)));
  } catch (error) {
    throw compressionError("lz4", error, position);
  }
  if (out.length > limit) throw tooLarge("lz4", out.length, limit, position);
  return out;
}

// ---- zstd ---------------------------------------------------------------------------------------

const zstdFrameMagic = 0xfd2fb528;
/** A compressed zstd block never regenerates more than 128 KiB (RFC 8878, Block_Maximum_Size). */
const zstdBlockBytesMax = 128 * 1024;
const zstdDictIdBytes = [0, 1, 2, 4] as const;
const zstdContentSizeBytes = [0, 2, 4, 8] as const;

/**
 * Walks the zstd frames of `data` (RFC 8878) without decompressing: checks that every frame is complete
 * and returns an upper bound on the output (raw and RLE blocks count their stated size, compressed
 * blocks the block maximum). The runtime's streaming zstd reader returns short output for a truncated frame instead of
 * failing, so this walk is what turns truncation into an error.
 */
function zstdOutputBound(data: Uint8Array, position: number): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let bound = 0;
  let pos = 0;
  const fail = (why: string): RecordBatchError => compressionError("zstd", why, position + pos);
  if (data.length === 0) throw fail("empty payload");
  while (pos < data.length) {
    if (data.length - pos < 4) throw fail("truncated frame magic");
    const magic = view.getUint32(pos, true);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      // A skippable frame: 4-byte size, then bytes a decoder ignores.
      if (data.length - pos < 8) throw fail("truncated skippable frame");
      pos += 8 + view.getUint32(pos + 4, true);
      if (pos > data.length) throw fail("skippable frame overruns the payload");
      continue;
    }
    if (magic !== zstdFrameMagic) throw fail("not a zstd frame (bad magic)");
    if (data.length - pos < 5) throw fail("truncated frame header");
    const descriptor = data[pos + 4]!;
    if ((descriptor & 0x08) !== 0) throw fail("reserved frame header bit set");
    const singleSegment = (descriptor & 0x20) !== 0;
    const fcsFlag = descriptor >> 6;
    const fcsBytes = fcsFlag === 0 && singleSegment ? 1 : zstdContentSizeBytes[fcsFlag]!;
    const fcsAt = pos + 5 + (singleSegment ? 0 : 1) + zstdDictIdBytes[descriptor & 0x03]!;
    pos = fcsAt + fcsBytes;
    if (pos > data.length) throw fail("truncated frame header");
    const frameBoundStart = bound;
    const contentBytes = zstdContentSize(view, fcsAt, fcsBytes);
    // Each pass consumes at least the 3-byte block header, so the loop is bounded by the input size.
    for (;;) {
      if (data.length - pos < 3) throw fail("truncated block header");
      const blockHeader = data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16);
      pos += 3;
      const last = (blockHeader & 1) !== 0;
      const type = (blockHeader >> 1) & 0x03;
      const size = blockHeader >>> 3;
      if (type === 3) throw fail("reserved block type");
      if (type === 1) {
        // RLE: one byte repeated `size` times.
        pos += 1;
        bound += size;
      } else {
        if (size > zstdBlockBytesMax) throw fail(`block of ${size} bytes above the maximum`);
        pos += size;
        // Raw blocks hold their output as is; compressed ones regenerate at most the block maximum.
        bound += type === 0 ? size : zstdBlockBytesMax;
      }
      if (pos > data.length) throw fail("block overruns the payload");
      if (last) break;
    }
    pos += (descriptor & 0x04) !== 0 ? 4 : 0;
    if (pos > data.length) throw fail("truncated content checksum");
    // A decoder may size its output by the declared content size: it must be one the blocks can produce.
    if (contentBytes > bound - frameBoundStart) {
      throw fail(
        `frame declares ${contentBytes} bytes but its blocks hold at most ${bound - frameBoundStart}`,
      );
    }
  }
  return bound;
}

/** The Frame_Content_Size field (RFC 8878): 1, 2 (plus 256), 4 or 8 little-endian bytes; 0 if absent. */
function zstdContentSize(view: DataView, at: number, bytes: number): number {
  switch (bytes) {
    case 1:
      return view.getUint8(at);
    case 2:
      return view.getUint16(at, true) + 256;
    case 4:
      return view.getUint32(at, true);
    case 8:
      return view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
    default:
      return 0;
  }
}

/**
 * Bun's one-shot zstd decoder when the runtime is Bun, else none. Looked up through `globalThis` so
 * the codec also loads under Deno and Node, which decode with node:zlib alone.
 */
const bunZstdDecompressSync: ((data: Uint8Array) => Uint8Array) | undefined = (
  globalThis as { Bun?: { zstdDecompressSync?: (data: Uint8Array) => Uint8Array } }
).Bun?.zstdDecompressSync;

function decompressZstd(data: Uint8Array, limit: number, position: number): Uint8Array {
  const bound = zstdOutputBound(data, position);
  try {
    // Within the bound the one-shot decoder is safe and strict; past it, the streaming one caps output.
    // Without Bun the streaming one serves both cases: the bound walk above already refused a
    // truncated frame, which is what the one-shot decoder's strictness is for.
    const out =
      bound <= limit && bunZstdDecompressSync !== undefined
        ? bunZstdDecompressSync(data)
        : zlib().zstdDecompressSync(data, { maxOutputLength: Math.max(1, limit) });
    return asBytes(out);
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") {
      throw tooLarge("zstd", limit + 1, limit, position);
    }
    throw compressionError("zstd", error, position);
  }
}

// ---- gzip ---------------------------------------------------------------------------------------

function decompressGzip(data: Uint8Array, limit: number, position: number): Uint8Array {
  try {
    return asBytes(zlib().gunzipSync(data, { maxOutputLength: Math.max(1, limit) }));
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") {
      throw tooLarge("gzip", limit + 1, limit, position);
    }
    throw compressionError("gzip", error, position);
  }
}

// ---- entry points -------------------------------------------------------------------------------

/**
 * Decompresses a batch's records section. `limit` caps the output; `position` (where the payload sits
 * in the caller's buffer) is used in errors. Library failures become RecordBatchError("Compression").
 */
export function decompressRecords(
  codec: CompressionName,
  data: Uint8Array,
  limit: number = decompressedBytesMaxDefault,
  position = 0,
): Uint8Array {
  switch (codec) {
    case "none":
      return data;
    case "gzip":
      return decompressGzip(data, limit, position);
    case "zstd":
      return decompressZstd(data, limit, position);
    case "snappy":
      return decompressSnappy(data, limit, position);
    case "lz4":
      return decompressLz4(data, limit, position);
  }
}

/** Compresses a batch's records section with `codec`, in the framing Kafka clients expect. */
export function compressRecords(
  codec: CompressionName,
  data: Uint8Array,
  options: CompressOptions = {},
): Uint8Array {
  switch (codec) {
    case "none":
      return data;
    case "gzip":
      return asBytes(zlib().gzipSync(data, options.level === undefined ? {} : { level: options.level }));
    case "zstd":
      return asBytes(
        zlib().zstdCompressSync(
          data,
          options.level === undefined
            ? {}
            : { params: { [zlib().constants.ZSTD_c_compressionLevel]: options.level } },
        ),
      );
    case "snappy":
      return compressSnappy(data);
    case "lz4":
      return asBytes(lz4().compressFrameSync(asBuffer(data)));
  }
}
