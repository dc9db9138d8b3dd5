// Public surface of @eddy/storage-fs.
export {};
