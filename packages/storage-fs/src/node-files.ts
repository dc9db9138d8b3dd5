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

/** One file opened read-write. */
class NodeFileHandle implements FileHandle {
  private closed = false;
  constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  size(): number {
    return wrap(this.path, "fstat", () => fs.fstatSync(this.fd).size);
  }

  write(bytes: Uint8Array, position: number): void {
    wrap(this.path, "write", () => {
      let done = 0;
      for (let attempt = 0; done < bytes.length; attempt++) {
        if (attempt >= partialIoAttemptsMax) throw new FileFault("EIO", this.path, "write makes no progress");
        done += fs.writeSync(this.fd, bytes, done, bytes.length - done, position + done);
      }
    });
  }

  read(into: Uint8Array, position: number): number {
    return wrap(this.path, "read", () => {
      let done = 0;
      for (let attempt = 0; done < into.length; attempt++) {
        if (attempt >= partialIoAttemptsMax) throw new FileFault("EIO", this.path, "read makes no progress");
        const got = fs.readSync(this.fd, into, done, into.length - done, position + done);
        if (got === 0) break;
        done += got;
      }
      return done;
    });
  }

  truncate(length: number): void {
    wrap(this.path, "ftruncate", () => fs.ftruncateSync(this.fd, length));
  }

  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new FileFault("EBADF", this.path, "fsync of a closed file"));
    return fdatasync(this.fd, this.path);
  }

  syncNow(): void {
    if (this.closed) throw new FileFault("EBADF", this.path, "fsync of a closed file");
    fileSyncCounts.dataSyncs += 1;
    wrap(this.path, "fdatasync", () => fs.fdatasyncSync(this.fd));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    wrap(this.path, "close", () => fs.closeSync(this.fd));
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
      return new NodeFileHandle(path, fs.openSync(path, flags, 0o644));
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
  syncDir: (path) => fsyncPath(path),
  syncDirNow: (path) => fsyncPathNow(path),
};
