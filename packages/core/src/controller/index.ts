// Filled in by the controller state machine work.
export {};
