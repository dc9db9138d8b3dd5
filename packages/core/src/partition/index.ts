// Filled in by the partition state machine work.
export {};
