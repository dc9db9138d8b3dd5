// A `Files` over node:fs whose open handles can all be killed at once, like a process killed with
// SIGKILL: no flush, no index trim, no checkpoint; later calls on old handles fail with EBADF.
import { FileFault, type FileHandle, type Files } from "@eddy/storage";
import { nodeFiles } from "../src/index.ts";

export interface KillableFiles {
  readonly files: Files;
  /** Closes every open descriptor without any of the engine's shutdown work. */
  readonly kill: () => void;
}

export function killableFiles(): KillableFiles {
  let generation = 0;
  const open = new Set<FileHandle>();
  const wrap = (handle: FileHandle): FileHandle => {
    const born = generation;
    const check = () => {
      if (born !== generation) throw new FileFault("EBADF", handle.path, "process was killed");
    };
    return {
      path: handle.path,
      size: () => {
        check();
        return handle.size();
      },
      write: (bytes, position) => {
        check();
        handle.write(bytes, position);
      },
      read: (into, position) => {
        check();
        return handle.read(into, position);
      },
      truncate: (length) => {
        check();
        handle.truncate(length);
      },
      sync: async () => {
        check();
        await handle.sync();
      },
      syncNow: () => {
        check();
        handle.syncNow();
      },
      close: () => {
        if (born !== generation) return;
        open.delete(handle);
        handle.close();
      },
    };
  };
  return {
    files: {
      ...nodeFiles,
      open: (path, create) => {
        const handle = nodeFiles.open(path, create);
        open.add(handle);
        return wrap(handle);
      },
    },
    kill: () => {
      generation += 1;
      for (const handle of open) handle.close();
      open.clear();
    },
  };
}
