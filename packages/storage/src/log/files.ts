/**
 * The file-system seam under the segmented log. The log logic in this folder is written once
 * against `Files`; the memory engine plugs in an in-memory disk with fault hooks, the file engine
 * plugs in `node:fs` with kept-open descriptors. It owns only the contract: positional reads and
 * writes are synchronous (a page-cache copy, cheaper than a promise), fsync is asynchronous so
 * that concurrent appends can wait for one shared fsync. Each asynchronous call also has a `...Now`
 * twin that completes before it returns: the simulator drives the log synchronously inside one
 * event (its memory disk makes durability immediate), and tools may block where nothing else waits.
 *
 * Implementations throw `FileFault` for operating errors and nothing else.
 */

/** An operating error from a file operation, with the errno-style code the log maps to a reason. */
export class FileFault extends Error {
  override readonly name = "FileFault";
  constructor(
    /** `ENOSPC` and `EDQUOT` become NoSpace, `ENOENT` NotFound, anything else Io. */
    readonly code: string,
    readonly path: string,
    detail: string,
  ) {
    super(`${code} ${path}: ${detail}`);
  }
}

/** One open file. */
export interface FileHandle {
  readonly path: string;
  /** Current length in bytes. */
  size(): number;
  /** Writes all of `bytes` at `position`; on failure the file may hold a prefix of them. */
  write(bytes: Uint8Array, position: number): void;
  /** Reads up to `into.length` bytes at `position`; returns how many were read (fewer at the end). */
  read(into: Uint8Array, position: number): number;
  /** Sets the length, cutting or extending with zeros (sparse where the platform allows). */
  truncate(length: number): void;
  /** Makes everything written so far durable. */
  sync(): Promise<void>;
  /** `sync`, completed before returning (blocks the thread on a real disk). */
  syncNow(): void;
  close(): void;
}

/** A directory tree of files. Paths are `/`-joined strings. */
export interface Files {
  /** Creates a directory and its parents; succeeds when it exists. */
  makeDir(path: string): void;
  /** Names of the entries directly inside a directory; empty when it does not exist. */
  list(path: string): ReadonlyArray<string>;
  exists(path: string): boolean;
  /** Opens a file for reading and writing, creating it when `create` is true. */
  open(path: string, create: boolean): FileHandle;
  /** Removes a file, or a directory and everything in it; succeeds when it does not exist. */
  remove(path: string): void;
  /** Reads a whole small file, or null when it does not exist. */
  readAll(path: string): Uint8Array | null;
  /** Replaces a small file atomically and durably: write a temporary file, fsync it, rename, fsync the directory. */
  writeAtomic(path: string, bytes: Uint8Array): Promise<void>;
  /** `writeAtomic`, completed before returning. */
  writeAtomicNow(path: string, bytes: Uint8Array): void;
  /**
   * Replaces a small file atomically but not durably: write a temporary file and rename it, with no
   * fsync. A crash may leave the old content, the new one or an empty or cut file; only for files
   * the reader can rebuild from elsewhere (the leader-epoch checkpoint, from the batch headers).
   */
  replaceNow(path: string, bytes: Uint8Array): void;
  /** Makes a whole file's content durable (fsync); a file that does not exist is an error. */
  syncFile(path: string): Promise<void>;
  /** `syncFile`, completed before returning. */
  syncFileNow(path: string): void;
  /** Makes a directory's entries (created, removed, renamed files) durable. */
  syncDir(path: string): Promise<void>;
  /** `syncDir`, completed before returning. */
  syncDirNow(path: string): void;
}
