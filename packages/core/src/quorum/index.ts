// Filled in by the quorum state machine work.
export {};
