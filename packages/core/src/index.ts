/**
 * Public surface of @eddy/core: pure state machines with one `step(state, input) -> { state, ready }`
 * entry point each. Nothing exported here performs I/O, reads a clock, draws ambient randomness or
 * returns a Promise.
 */
export * from "./invariant.ts";
export * from "./prng.ts";
