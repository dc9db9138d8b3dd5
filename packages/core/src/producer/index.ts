// Filled in by the producer state machine work.
export {};
