// Shared immutable defaults used by the generated encoders and decoders.
//
// Owns the constants that stand in for absent values so that encoding a field left undefined allocates
// nothing. Must never be mutated: they are shared by every message.

/** Stands in for an undefined array field while encoding. */
export const emptyArray: readonly never[] = Object.freeze([]);

/** Stands in for an undefined struct field while encoding: every field of a struct input is optional. */
export const emptyStruct: Readonly<Record<never, never>> = Object.freeze({});

/** The default of bytes fields. Zero-length, so it cannot be written through. */
export const emptyBytes: Uint8Array = new Uint8Array(0);
