// Public surface of @eddy/core.
export {};
