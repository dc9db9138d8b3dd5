/**
 * An in-memory disk for the simulator: files with a durable prefix, and faults described as plain
 * data. It owns what a crash does to files; it must never use wall-clock time or randomness (the
 * simulator decides every fault from its seeded generator and passes the decision in).
 *
 * Durability model: each file remembers its length at the last fsync (`durableLength`) and the
 * lowest position changed since then (`lowWater`). On `crash`, bytes at and after
 * `min(durableLength, lowWater)` are unsynced and, by the crash mode, lost (`LoseUnsynced`), kept
 * (`KeepUnsynced`: the process died but the OS wrote its cache) or partly kept (`TornTail`: the
 * first `keptUnsyncedBytes` of them survive, which cuts a batch in the middle). Directory entries
 * are treated as durable at once, a simplification: file creation is never lost.
 *
 * Faults (`faults`, set by the simulator between steps):
 * - `failNextWrite`: the next write fails with that reason before storing anything.
 * - `failNextSync`: the next fsync fails with EIO and makes nothing durable.
 * - `capacityBytes`: total stored bytes; a write past it stores what fits (a partial prefix the log
 *   cuts back) and fails with ENOSPC.
 * - `latencyMs`: added by the memory layer before every storage operation (through Effect's Clock).
 */
import { FileFault, type FileHandle, type Files } from "@eddy/storage";

/** Faults the simulator sets; plain data. */
export interface MemoryFaults {
  failNextWrite: "Io" | "NoSpace" | null;
  failNextSync: boolean;
  capacityBytes: number;
  latencyMs: number;
}

/** What survives a simulated crash. */
export type CrashMode =
  | { readonly _tag: "LoseUnsynced" }
  | { readonly _tag: "KeepUnsynced" }
  | { readonly _tag: "TornTail"; readonly keptUnsyncedBytes: number };

/** A file as stored, for inspection by tests and the simulator. */
export interface MemoryFileInfo {
  readonly path: string;
  readonly sizeBytes: number;
  readonly durableBytes: number;
}

/** Files larger than this are a bug in a simulation (the simulator's disks are small). */
export const memoryFileBytesMax = 2 ** 31 - 1;
/** Bound on files per disk, asserted at creation. */
export const memoryFilesMax = 1_000_000;

class MemoryFile {
  data = new Uint8Array(0);
  /** Bytes materialized in `data`; bytes in [materialized, length) read as zeros (sparse). */
  materialized = 0;
  length = 0;
  durableLength = 0;
  lowWater = 0;

  ensure(capacity: number): void {
    if (capacity <= this.data.length) return;
    let next = Math.max(64, this.data.length * 2);
    while (next < capacity) next *= 2;
    const grown = new Uint8Array(Math.min(next, memoryFileBytesMax));
    grown.set(this.data.subarray(0, this.materialized));
    this.data = grown;
  }

  setLength(length: number): void {
    if (length < this.materialized) {
      this.data.fill(0, length, this.materialized);
      this.materialized = length;
    }
    this.length = length;
    this.lowWater = Math.min(this.lowWater, length);
  }
}

function fault(code: string, path: string, detail: string): FileFault {
  return new FileFault(code, path, detail);
}

/** An in-memory disk that survives layer restarts, so a crashed "process" can reopen it. */
export class MemoryDisk implements Files {
  readonly faults: MemoryFaults = {
    failNextWrite: null,
    failNextSync: false,
    capacityBytes: Number.POSITIVE_INFINITY,
    latencyMs: 0,
  };
  private readonly files = new Map<string, MemoryFile>();
  private readonly dirs = new Set<string>(["/"]);
  /** Bumped by `crash`; handles from an older generation fail, as descriptors of a dead process. */
  private generation = 0;
  private storedBytes = 0;

  // ---- Files ----

  makeDir(path: string): void {
    const parts = normalize(path)
      .split("/")
      .filter((p) => p.length > 0);
    let current = "";
    for (const part of parts) {
      current = `${current}/${part}`;
      this.dirs.add(current);
    }
  }

  list(path: string): ReadonlyArray<string> {
    const prefix = normalize(path) === "/" ? "/" : `${normalize(path)}/`;
    const names = new Set<string>();
    for (const key of [...this.files.keys(), ...this.dirs]) {
      if (key.startsWith(prefix) && key.length > prefix.length) {
        names.add(key.slice(prefix.length).split("/")[0]!);
      }
    }
    return [...names].sort();
  }

  exists(path: string): boolean {
    const p = normalize(path);
    return this.files.has(p) || this.dirs.has(p);
  }

  open(path: string, create: boolean): FileHandle {
    const p = normalize(path);
    let file = this.files.get(p);
    if (file === undefined) {
      if (!create) throw fault("ENOENT", p, "no such file");
      const parent = p.slice(0, p.lastIndexOf("/")) || "/";
      if (!this.dirs.has(parent)) throw fault("ENOENT", p, "parent directory missing");
      if (this.files.size >= memoryFilesMax) throw fault("EMFILE", p, "memory disk file limit");
      file = new MemoryFile();
      this.files.set(p, file);
    }
    return this.handle(p, file);
  }

  remove(path: string): void {
    const p = normalize(path);
    for (const key of [...this.files.keys()]) {
      if (key === p || key.startsWith(`${p}/`)) {
        this.storedBytes -= this.files.get(key)!.materialized;
        this.files.delete(key);
      }
    }
    for (const key of [...this.dirs]) {
      if (key === p || key.startsWith(`${p}/`)) this.dirs.delete(key);
    }
  }

  readAll(path: string): Uint8Array | null {
    const file = this.files.get(normalize(path));
    if (file === undefined) return null;
    const out = new Uint8Array(file.length);
    out.set(file.data.subarray(0, Math.min(file.materialized, file.length)));
    return out;
  }

  async writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
    this.writeAtomicNow(path, bytes);
  }

  writeAtomicNow(path: string, bytes: Uint8Array): void {
    const p = normalize(path);
    const parent = p.slice(0, p.lastIndexOf("/")) || "/";
    if (!this.dirs.has(parent)) throw fault("ENOENT", p, "parent directory missing");
    this.takeWriteFault(p);
    const old = this.files.get(p)?.materialized ?? 0;
    if (this.storedBytes - old + bytes.length > this.faults.capacityBytes) {
      throw fault("ENOSPC", p, "memory disk capacity reached");
    }
    const file = new MemoryFile();
    file.ensure(bytes.length);
    file.data.set(bytes);
    file.materialized = bytes.length;
    file.length = bytes.length;
    file.durableLength = bytes.length;
    file.lowWater = bytes.length;
    this.storedBytes += bytes.length - old;
    this.files.set(p, file);
  }

  replaceNow(path: string, bytes: Uint8Array): void {
    this.writeAtomicNow(path, bytes);
    // Nothing of the new content is durable: a crash keeps none, all or a prefix of it, by its mode.
    const file = this.files.get(normalize(path))!;
    file.durableLength = 0;
    file.lowWater = 0;
  }

  async syncFile(path: string): Promise<void> {
    this.syncFileNow(path);
  }

  syncFileNow(path: string): void {
    const handle = this.open(path, false);
    try {
      handle.syncNow();
    } finally {
      handle.close();
    }
  }

  async syncDir(_path: string): Promise<void> {}

  syncDirNow(_path: string): void {}

  // ---- simulator controls ----

  /** Simulates a power loss: every open handle dies and unsynced bytes fare as `mode` says. */
  crash(mode: CrashMode = { _tag: "LoseUnsynced" }): void {
    this.generation += 1;
    for (const file of this.files.values()) {
      const stable = Math.min(file.durableLength, file.lowWater);
      let keep = file.length;
      if (mode._tag === "LoseUnsynced") keep = stable;
      if (mode._tag === "TornTail")
        keep = Math.min(file.length, stable + Math.max(0, mode.keptUnsyncedBytes));
      const before = file.materialized;
      file.setLength(keep);
      this.storedBytes += file.materialized - before;
      file.durableLength = keep;
      file.lowWater = keep;
    }
  }

  /** Flips every bit of one stored byte (bit rot), durable at once. */
  corruptByte(path: string, position: number): void {
    const file = this.files.get(normalize(path));
    if (file === undefined) throw fault("ENOENT", path, "no such file");
    if (position < 0 || position >= file.materialized) {
      throw new RangeError(`position ${position} outside the ${file.materialized} stored bytes of ${path}`);
    }
    file.data[position] = file.data[position]! ^ 0xff;
  }

  /** Cuts a file to `length` bytes, as a torn write would. */
  cut(path: string, length: number): void {
    const file = this.files.get(normalize(path));
    if (file === undefined) throw fault("ENOENT", path, "no such file");
    const before = file.materialized;
    file.setLength(Math.min(length, file.length));
    this.storedBytes += file.materialized - before;
    file.durableLength = Math.min(file.durableLength, file.length);
  }

  /**
   * A copy of the disk as it is now, handles excluded: the simulator's "wrong disk after reboot"
   * fault mounts one node's copy on another, and checkers can compare disks without disturbing them.
   */
  clone(): MemoryDisk {
    const copy = new MemoryDisk();
    Object.assign(copy.faults, this.faults);
    for (const dir of this.dirs) copy.dirs.add(dir);
    for (const [path, file] of this.files) {
      const twin = new MemoryFile();
      twin.data = file.data.slice(0, file.materialized);
      twin.materialized = file.materialized;
      twin.length = file.length;
      twin.durableLength = file.durableLength;
      twin.lowWater = file.lowWater;
      copy.files.set(path, twin);
    }
    copy.storedBytes = this.storedBytes;
    return copy;
  }

  /** Every file with its size and durable size, sorted by path. */
  fileInfos(): ReadonlyArray<MemoryFileInfo> {
    return [...this.files.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([path, f]) => ({
        path,
        sizeBytes: f.length,
        durableBytes: Math.min(f.durableLength, f.lowWater),
      }));
  }

  /** Total bytes stored (sparse regions excluded). */
  usedBytes(): number {
    return this.storedBytes;
  }

  private takeWriteFault(path: string): void {
    const failure = this.faults.failNextWrite;
    if (failure === null) return;
    this.faults.failNextWrite = null;
    throw fault(failure === "NoSpace" ? "ENOSPC" : "EIO", path, "injected write fault");
  }

  private handle(path: string, file: MemoryFile): FileHandle {
    const generation = this.generation;
    let closed = false;
    const check = () => {
      if (closed || generation !== this.generation || this.files.get(path) !== file) {
        throw fault("EBADF", path, "handle closed by a crash, close or removal");
      }
    };
    const syncNow = () => {
      check();
      if (this.faults.failNextSync) {
        this.faults.failNextSync = false;
        throw fault("EIO", path, "injected fsync fault");
      }
      file.durableLength = file.length;
      file.lowWater = file.length;
    };
    return {
      path,
      size: () => {
        check();
        return file.length;
      },
      write: (bytes, position) => {
        check();
        this.takeWriteFault(path);
        const end = position + bytes.length;
        if (end > memoryFileBytesMax) throw fault("EFBIG", path, `write to ${end} past the file limit`);
        const growth = Math.max(0, end - file.materialized);
        const room = this.faults.capacityBytes - this.storedBytes;
        const fits = growth <= room ? bytes.length : Math.max(0, bytes.length - (growth - Math.max(0, room)));
        file.ensure(position + fits);
        if (position > file.materialized) file.data.fill(0, file.materialized, position);
        file.data.set(bytes.subarray(0, fits), position);
        const materialized = Math.max(file.materialized, position + fits);
        this.storedBytes += materialized - file.materialized;
        file.materialized = materialized;
        file.length = Math.max(file.length, position + fits);
        file.lowWater = Math.min(file.lowWater, position);
        if (fits < bytes.length) throw fault("ENOSPC", path, "memory disk capacity reached");
      },
      read: (into, position) => {
        check();
        const end = Math.min(file.length, position + into.length);
        if (end <= position) return 0;
        const stored = Math.min(end, file.materialized);
        if (stored > position) into.set(file.data.subarray(position, stored));
        if (end > Math.max(stored, position))
          into.fill(0, Math.max(stored, position) - position, end - position);
        return end - position;
      },
      truncate: (length) => {
        check();
        const before = file.materialized;
        file.setLength(length);
        this.storedBytes += file.materialized - before;
      },
      sync: async () => syncNow(),
      syncNow,
      close: () => {
        closed = true;
      },
    };
  }
}

function normalize(path: string): string {
  const p = `/${path}`.replace(/\/{2,}/g, "/");
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}
