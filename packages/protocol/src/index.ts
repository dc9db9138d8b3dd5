// Public surface of @eddy/protocol.
export {};
