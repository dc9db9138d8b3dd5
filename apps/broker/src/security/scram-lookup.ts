/**
 * Where a SCRAM exchange finds a user's credential: first the committed metadata image (credentials
 * made with AlterUserScramCredentials, the same on every node that applied the log), then the
 * listener's JAAS property (salted when the broker started). Owns only that order and the image's hex
 * to bytes; it must never cache an image's credential, so a deletion takes effect at the next exchange.
 */
import { controller } from "@eddy/core";
import type { ScramCredential, ScramMechanism } from "./scram.ts";

/** Reads the node's current committed image; called once per exchange. */
export type ImageSource = () => controller.MetadataImage;

/** The credential of `name` for `mechanism` in the image, or undefined. */
export function scramCredentialInImage(
  image: controller.MetadataImage,
  mechanism: ScramMechanism,
  name: string,
): ScramCredential | undefined {
  const entry = controller
    .scramCredentialsOf(image)
    .find((c) => c.name === name && c.mechanism === mechanism);
  if (entry === undefined) return undefined;
  return {
    salt: Buffer.from(entry.salt, "hex"),
    iterations: entry.iterations,
    storedKey: Buffer.from(entry.storedKey, "hex"),
    serverKey: Buffer.from(entry.serverKey, "hex"),
  };
}

/** The image's credential first, then the JAAS property's. */
export function scramLookup(
  image: ImageSource | null,
  mechanism: ScramMechanism,
  jaas: ReadonlyMap<string, ScramCredential> | undefined,
): (name: string) => ScramCredential | undefined {
  return (name) =>
    (image === null ? undefined : scramCredentialInImage(image(), mechanism, name)) ?? jaas?.get(name);
}
