// Filled in by the group state machine work.
export {};
