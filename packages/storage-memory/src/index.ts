// Public surface of @eddy/storage-memory.
export {};
