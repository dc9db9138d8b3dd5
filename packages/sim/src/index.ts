// Public surface of @eddy/sim.
export {};
