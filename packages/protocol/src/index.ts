// Public surface of @eddy/protocol. Exports are kept in the path order Biome enforces.

// Message codec: Reader/Writer, typed errors, header rules and dispatch, and the generated message codecs
// with the api table (see README.md).
export * from "./codec/api-codec.ts";
export * from "./codec/consumer-protocol.ts";
export * from "./codec/dispatch.ts";
export * from "./codec/errors.ts";
export * from "./codec/reader.ts";
export * from "./codec/uuid.ts";
export * from "./codec/writer.ts";
// Kafka error codes.
export * from "./error-codes.ts";
// TCP frame reader.
export * from "./frame/chunk-lease.ts";
export * from "./frame/frame-reader.ts";
// Generated message codecs (part of the message codec above).
export * from "./generated/index.ts";
// Record batches (magic v2).
export * from "./records/batch-header.ts";
export * from "./records/compression.ts";
export * from "./records/control-record.ts";
export * from "./records/crc32c.ts";
export * from "./records/murmur2.ts";
export * from "./records/record.ts";
export * from "./records/record-batch.ts";
export * from "./records/record-batch-error.ts";
export * from "./records/stored-batch.ts";
export * from "./records/varint.ts";
