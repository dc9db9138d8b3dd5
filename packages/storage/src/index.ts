/**
 * Public surface of @eddy/storage: the storage port (services, types, error, stored-JSON decoding),
 * the one segment engine with Kafka's layout that every binding runs (`PartitionLog`, indexes,
 * recovery, retention, the tail cache, the state files), the `Files` seam the bindings implement, and
 * the engine's Effect layer. The conformance suite is at `@eddy/storage/conformance` (it imports
 * fast-check). It binds no disk of its own: @eddy/storage-memory is the in-memory disk with faults,
 * @eddy/storage-fs the file system.
 */
export {
  cleanShutdownFileName,
  takeCleanShutdownMarker,
  writeCleanShutdownMarker,
} from "./log/clean-shutdown.ts";
export { type EngineOptions, engineLayer } from "./log/engine.ts";
export { FileFault, type FileHandle, type Files } from "./log/files.ts";
export {
  IndexCache,
  type IndexCacheMember,
  indexCacheBytesDefault,
  indexMirrorOverheadBytes,
} from "./log/index-cache.ts";
export { offsetEntryBytes, timeEntryBytes } from "./log/offset-index.ts";
export {
  PartitionLog,
  type PartitionLogOptions,
  type RecoveryStats,
  toStorageError,
} from "./log/partition-log.ts";
export { type ScanProblem, scanBatches, segmentFileName } from "./log/segment.ts";
export {
  groupMetadataShardPath,
  metadataDirPath,
  metadataSnapshotPath,
  producerIdCursorPath,
  producerStatePath,
  quorumStatePath,
} from "./log/state-files.ts";
export { TailBudget, type TailEntry, type TailOwner } from "./log/tail-budget.ts";
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
  groupMetadataShardsMax,
  type MetadataSnapshot,
  type ProducerStateSnapshot,
  StateStore,
  type VersionedDocument,
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
