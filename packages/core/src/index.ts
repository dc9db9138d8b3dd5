/**
 * Public surface of @eddy/core: pure state machines with one `step(state, input) -> { state, ready }`
 * entry point each. Nothing exported here performs I/O, reads a clock, draws ambient randomness or
 * returns a Promise.
 */

export * as controller from "./controller/index.ts";
export * as group from "./group/index.ts";
export * from "./invariant.ts";
export * as partition from "./partition/index.ts";
export * from "./prng.ts";
export * as producer from "./producer/index.ts";
export * as quorum from "./quorum/index.ts";
