/**
 * The `Files` seam over `node:fs` with kept-open descriptors. It owns the mapping from system calls
 * to the seam's contract: positional reads and writes are synchronous `pread`/`pwrite` (one call
 * per append or fetch, served from the page cache), fsync is `fdatasync` on the thread pool so the
 * event loop keeps serving while a group commit waits. It must never interpret what it stores.
 */
import * as fs from "node:fs";
import { FileFault, type FileHandle, type Files } from "@eddy/storage";

/** Attempts for a short write or read before giving up (each attempt must make progress). */
const partialIoAttemptsMax = 1024;

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "EIO";
}

function wrap<A>(path: string, what: string, f: () => A): A {
  try {
    return f();
  } catch (error) {
    if (error instanceof FileFault) throw error;
    throw new FileFault(
      codeOf(error),
      path,
      `${what}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * fsyncs this process asked the disk for since it started: file data (`fdatasync`) and whole files or
 * directories (`fsync`). Two integers, so counting costs nothing; benchmarks read them (through a
 * preload) to print fsyncs per second beside a group-commit figure.
 */
export const fileSyncCounts = { dataSyncs: 0, pathSyncs: 0 };

function fdatasync(fd: number, path: string): Promise<void> {
  fileSyncCounts.dataSyncs += 1;
  return new Promise((resolve, reject) => {
    fs.fdatasync(fd, (error) => {
      if (error === null) resolve();
      else reject(new FileFault(codeOf(error), path, `fdatasync: ${error.message}`));
    });
  });
}

function fsyncPath(path: string): Promise<void> {
  fileSyncCounts.pathSyncs += 1;
  return new Promise((resolve, reject) => {
    fs.open(path, "r", (openError, fd) => {
      if (openError !== null) {
        reject(new FileFault(codeOf(openError), path, `open for fsync: ${openError.message}`));
        return;
      }
      fs.fsync(fd, (syncError) => {
        fs.close(fd, () => {
          if (syncError === null) resolve();
          else reject(new FileFault(codeOf(syncError), path, `fsync: ${syncError.message}`));
        });
      });
    });
  });
}

/** `fsyncPath`, blocking the thread until the directory or file is durable. */
function fsyncPathNow(path: string): void {
  fileSyncCounts.pathSyncs += 1;
  const fd = wrap(path, "open for fsync", () => fs.openSync(path, "r"));
  try {
    wrap(path, "fsync", () => fs.fsyncSync(fd));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Descriptors kept open at once across every file of the process. A partition keeps three files per
 * segment (`.log`, `.index`, `.timeindex`), so 10,000 partitions held 30,000 descriptors and the
 * broker failed with EMFILE near 7,000 partitions under the usual limit of 20,000. Files are opened
 * on first use and the least recently used descriptor is closed when the cache is full, as Kafka
 * opens index files lazily; an idle partition then holds no descriptor at all.
 */
export const openDescriptorsMax = 4096;

/**
 * The open descriptors in least-recently-used order (a Map iterates in insertion order, and a use
 * re-inserts). Handles with an fsync in flight are pinned: closing their descriptor under the
 * thread pool would make the fsync fail or, worse, reach a reused descriptor of another file.
 */
const openHandles = new Map<NodeFileHandle, true>();

/** Counts for tests and benchmarks: descriptors open now and opens made since the start. */
export const descriptorCounts = {
  get open(): number {
    return openHandles.size;
  },
  opens: 0,
};

/**
 * Opens `path`; when the process is out of descriptors (a soft limit below `openDescriptorsMax`, such
 * as the common 1,024), closes the least recently used half of the cache's and tries once more.
 */
function openDescriptor(path: string, flags: number): number {
  try {
    return fs.openSync(path, flags, 0o644);
  } catch (error) {
    const code = codeOf(error);
    if ((code !== "EMFILE" && code !== "ENFILE") || openHandles.size === 0) throw error;
    let toClose = Math.ceil(openHandles.size / 2);
    for (const handle of openHandles.keys()) {
      if (toClose <= 0) break;
      if (handle.pinned > 0) continue;
      handle.release();
      toClose -= 1;
    }
    return fs.openSync(path, flags, 0o644);
  }
}

function touch(handle: NodeFileHandle): void {
  openHandles.delete(handle);
  openHandles.set(handle, true);
}

/** Closes least recently used, unpinned descriptors until one more fits under the bound. */
function makeRoom(): void {
  // Pinned handles are skipped; there are at most as many as fsyncs in flight, so the walk is bounded
  // by the map's size and the bound is exceeded only while every open handle is being fsynced.
  for (const handle of openHandles.keys()) {
    if (openHandles.size < openDescriptorsMax) return;
    if (handle.pinned === 0) handle.release();
  }
}

/**
 * One file opened read-write, through a descriptor opened on first use and closed when the cache
 * needs room (then reopened at the next use). Linux flushes a file's dirty pages through any of its
 * descriptors, so an fsync after a reopen covers writes made through an earlier descriptor, and a
 * write-back error not yet reported to anyone is reported to a descriptor opened after it (errseq).
 */
class NodeFileHandle implements FileHandle {
  private closed = false;
  private fd = -1;
  /** Fsyncs in flight on the current descriptor; a pinned descriptor is never closed by the cache. */
  pinned = 0;
  constructor(
    readonly path: string,
    fd: number,
  ) {
    this.adopt(fd);
  }

  private adopt(fd: number): void {
    makeRoom();
    this.fd = fd;
    openHandles.set(this, true);
  }

  /** The descriptor, reopened when the cache closed it. */
  private descriptor(): number {
    if (this.closed) throw new FileFault("EBADF", this.path, "use of a closed file");
    if (this.fd >= 0) {
      touch(this);
      return this.fd;
    }
    descriptorCounts.opens += 1;
    const fd = wrap(this.path, "reopen", () => openDescriptor(this.path, fs.constants.O_RDWR));
    this.adopt(fd);
    return fd;
  }

  /** Closes the descriptor (the cache's eviction); the file stays usable and reopens on demand. */
  release(): void {
    if (this.fd < 0) return;
    openHandles.delete(this);
    const fd = this.fd;
    this.fd = -1;
    wrap(this.path, "close", () => fs.closeSync(fd));
  }

  size(): number {
    const fd = this.descriptor();
    return wrap(this.path, "fstat", () => fs.fstatSync(fd).size);
  }

  write(bytes: Uint8Array, position: number): void {
    const fd = this.descriptor();
    wrap(this.path, "write", () => {
      let done = 0;
      for (let attempt = 0; done < bytes.length; attempt++) {
        if (attempt >= partialIoAttemptsMax) throw new FileFault("EIO", this.path, "write makes no progress");
        done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
      }
    });
  }

  read(into: Uint8Array, position: number): number {
    const fd = this.descriptor();
    return wrap(this.path, "read", () => {
      let done = 0;
      for (let attempt = 0; done < into.length; attempt++) {
        if (attempt >= partialIoAttemptsMax) throw new FileFault("EIO", this.path, "read makes no progress");
        const got = fs.readSync(fd, into, done, into.length - done, position + done);
        if (got === 0) break;
        done += got;
      }
      return done;
    });
  }

  truncate(length: number): void {
    const fd = this.descriptor();
    wrap(this.path, "ftruncate", () => fs.ftruncateSync(fd, length));
  }

  async sync(): Promise<void> {
    if (this.closed) throw new FileFault("EBADF", this.path, "fsync of a closed file");
    const fd = this.descriptor();
    this.pinned += 1;
    try {
      await fdatasync(fd, this.path);
    } finally {
      this.pinned -= 1;
    }
  }

  syncNow(): void {
    if (this.closed) throw new FileFault("EBADF", this.path, "fsync of a closed file");
    const fd = this.descriptor();
    fileSyncCounts.dataSyncs += 1;
    wrap(this.path, "fdatasync", () => fs.fdatasyncSync(fd));
  }

  close(): void {
    if (this.closed) return;
    // A close during an fsync waits for nothing: the fsync holds its own reference to the file
    // through the kernel until it returns, as before this cache.
    this.release();
    this.closed = true;
  }
}

/** The real file system. */
export const nodeFiles: Files = {
  makeDir: (path) => wrap(path, "mkdir", () => void fs.mkdirSync(path, { recursive: true })),
  list: (path) =>
    wrap(path, "readdir", () => {
      try {
        return fs.readdirSync(path).sort();
      } catch (error) {
        if (codeOf(error) === "ENOENT") return [];
        throw error;
      }
    }),
  exists: (path) => fs.existsSync(path),
  open: (path, create) =>
    wrap(path, "open", () => {
      const flags = fs.constants.O_RDWR | (create ? fs.constants.O_CREAT : 0);
      return new NodeFileHandle(path, openDescriptor(path, flags));
    }),
  remove: (path) => wrap(path, "rm", () => fs.rmSync(path, { recursive: true, force: true })),
  readAll: (path) =>
    wrap(path, "read", () => {
      try {
        return new Uint8Array(fs.readFileSync(path));
      } catch (error) {
        if (codeOf(error) === "ENOENT") return null;
        throw error;
      }
    }),
  writeAtomic: async (path, bytes) => {
    const temporary = `${path}.tmp`;
    const handle = nodeFiles.open(temporary, true);
    try {
      handle.truncate(0);
      handle.write(bytes, 0);
      await handle.sync();
    } finally {
      handle.close();
    }
    wrap(path, "rename", () => fs.renameSync(temporary, path));
    await fsyncPath(path.slice(0, path.lastIndexOf("/")) || "/");
  },
  writeAtomicNow: (path, bytes) => {
    const temporary = `${path}.tmp`;
    const handle = nodeFiles.open(temporary, true);
    try {
      handle.truncate(0);
      handle.write(bytes, 0);
      handle.syncNow();
    } finally {
      handle.close();
    }
    wrap(path, "rename", () => fs.renameSync(temporary, path));
    fsyncPathNow(path.slice(0, path.lastIndexOf("/")) || "/");
  },
  replaceNow: (path, bytes) => {
    const temporary = `${path}.tmp`;
    const handle = nodeFiles.open(temporary, true);
    try {
      handle.truncate(0);
      handle.write(bytes, 0);
    } finally {
      handle.close();
    }
    wrap(path, "rename", () => fs.renameSync(temporary, path));
  },
  syncFile: async (path) => {
    const handle = nodeFiles.open(path, false);
    try {
      await handle.sync();
    } finally {
      handle.close();
    }
  },
  syncFileNow: (path) => {
    const handle = nodeFiles.open(path, false);
    try {
      handle.syncNow();
    } finally {
      handle.close();
    }
  },
  syncDir: (path) => fsyncPath(path),
  syncDirNow: (path) => fsyncPathNow(path),
};
