/**
 * Public surface of @eddy/storage-memory: the in-memory disk (`MemoryDisk`, a `Files` with fault hooks:
 * failed writes and fsyncs, crashes that lose unsynced bytes or tear the tail, latency) and the memory
 * engine, both storage services of @eddy/storage over such a disk. The log rules are @eddy/storage's.
 */
export { layerMemory, type MemoryEngineOptions, memoryDataDir } from "./memory/layer-memory.ts";
export { type CrashMode, MemoryDisk, type MemoryFaults, type MemoryFileInfo } from "./memory/memory-disk.ts";
