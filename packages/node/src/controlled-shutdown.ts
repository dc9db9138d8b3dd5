/**
 * The bound on a controlled shutdown, shared by both bindings of the node: the broker's SIGTERM path
 * and the simulator's clean stop wait this long for the controller to fence the stopping broker (and
 * so move its leaderships) before they stop anyway. One number, so the simulator proves the bound
 * users run. Owns that constant only; it must never hold a timer or state.
 */

/** The longest a controlled shutdown waits for the controller before the node stops anyway. */
export const controlledShutdownMsMax = 5_000;
