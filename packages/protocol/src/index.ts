// Public surface of @eddy/protocol.

// Kafka error codes.
export * from "./error-codes.ts";
// TCP frame reader.
export * from "./frame/frame-reader.ts";
// Record batches (magic v2).
export * from "./records/batch-header.ts";
export * from "./records/compression.ts";
export * from "./records/control-record.ts";
export * from "./records/crc32c.ts";
export * from "./records/record.ts";
export * from "./records/record-batch.ts";
export * from "./records/record-batch-error.ts";
export * from "./records/varint.ts";
