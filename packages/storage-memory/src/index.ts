/**
 * Public surface of @eddy/storage-memory: the storage port (services, types, error), the shared
 * log engine pieces the file engine builds on, and the memory engine with its fault hooks.
 * The conformance suite is at `@eddy/storage-memory/conformance` (it imports fast-check).
 */
export {
  type BatchCheck,
  type BatchHeader,
  type BatchMakeOptions,
  batchCrcValid,
  batchMake,
  checkBatch,
} from "./batch/batch-header.ts";
export { type EngineOptions, engineLayer } from "./log/engine.ts";
export { FileFault, type FileHandle, type Files } from "./log/files.ts";
export { offsetEntryBytes, timeEntryBytes } from "./log/offset-index.ts";
export { PartitionLog, type PartitionLogOptions, toStorageError } from "./log/partition-log.ts";
export { type ScanProblem, scanBatches, segmentFileName } from "./log/segment.ts";
export {
  metadataDirPath,
  metadataSnapshotPath,
  producerStatePath,
  quorumStatePath,
} from "./log/state-files.ts";
export { TailBudget } from "./log/tail-budget.ts";
export { layerMemory, type MemoryEngineOptions, memoryDataDir } from "./memory/layer-memory.ts";
export { type CrashMode, MemoryDisk, type MemoryFaults, type MemoryFileInfo } from "./memory/memory-disk.ts";
export {
  type LogConfig,
  type LogConfigParsed,
  logConfigDefault,
  logConfigFromKafka,
  logConfigMake,
  logConfigProblem,
} from "./port/log-config.ts";
export {
  type AppendResult,
  type LeaderEpochEntry,
  type LogInfo,
  LogStore,
  metadataLogPartition,
  partitionDirName,
  partitionFromDirName,
  type ReadRequest,
  type ReadResult,
  type RetentionRequest,
  type RetentionResult,
  type SegmentInfo,
  type TimestampMatch,
  type TopicPartition,
  topicNameProblem,
} from "./port/log-store.ts";
export {
  type CommittedOffset,
  type MetadataSnapshot,
  type ProducerStateSnapshot,
  StateStore,
} from "./port/state-store.ts";
export {
  Corrupt,
  Io,
  NoSpace,
  NotFound,
  StorageError,
  StorageErrorReason,
  storageError,
} from "./port/storage-error.ts";
export { decodeStoredJson, decodeStoredValue, parseStoredJson } from "./port/stored-json.ts";
