/** Public surface of @eddy/storage-fs: the file engine layer, its `Files` adapter and the dump tool. */
export { type DumpOptions, dumpSegment } from "./dump-log.ts";
export { type FileEngineOptions, layer } from "./layer.ts";
export { descriptorCounts, fileSyncCounts, nodeFiles, openDescriptorsMax } from "./node-files.ts";
