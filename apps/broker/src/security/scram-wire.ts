/**
 * The SCRAM credential APIs' wire values: Kafka's ScramMechanism bytes (1 SCRAM-SHA-256, 2
 * SCRAM-SHA-512, 0 UNKNOWN) and the hex form the metadata image keeps byte fields in. Owns only the
 * mapping; it must never hash or decide anything.
 */
import { controller } from "@eddy/core";

/** The wire byte of each mechanism (Kafka's ScramMechanism.type()). */
export const scramMechanismWire: Readonly<Record<controller.ScramMechanismName, number>> = {
  "SCRAM-SHA-256": 1,
  "SCRAM-SHA-512": 2,
};

/** The mechanism a wire byte names, or a name the controller answers UNSUPPORTED_SASL_MECHANISM. */
export function scramMechanismFromWire(wire: number): controller.ScramMechanismName | `UNKNOWN(${number})` {
  const found = controller.scramMechanismNames.find((m) => scramMechanismWire[m] === wire);
  return found ?? `UNKNOWN(${wire})`;
}

export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

export function bytesOfHex(hex: string): Uint8Array {
  return Buffer.from(hex, "hex");
}
