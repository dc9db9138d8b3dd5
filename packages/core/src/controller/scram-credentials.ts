/**
 * SCRAM credentials in the metadata log, as KRaft keeps them (Kafka's ScramControlManager): the
 * controller's decision for the `alterUserScramCredentials` input, committed as UserScramCredential and
 * RemoveUserScramCredential records, and how such a record changes the image.
 *
 * A credential is what RFC 5802 §3 lets a server keep: the salt, the iteration count, StoredKey and
 * ServerKey, never the password nor the salted password. The keys arrive derived already: hashing
 * is the broker's (core draws on no crypto library), which derives them from the request's salted
 * password exactly as Kafka's ScramFormatter does before it asks the controller.
 *
 * Owns: which changes a request may make (Kafka's mechanisms and iteration bounds, one change per
 * user per request, a deletion only of a credential that exists), which records it proposes and what
 * it answers. It must never authenticate anyone (the broker's SASL gate reads the image) and never
 * perform I/O, read a clock or draw randomness (salts arrive in the input).
 */
import { invariant } from "../invariant.ts";

/** The mechanisms a credential may be for (Kafka's ScramMechanism without UNKNOWN). */
export const scramMechanismNames = ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
export type ScramMechanismName = (typeof scramMechanismNames)[number];

/** Kafka's bounds on a credential's iterations (ScramMechanism.minIterations / maxIterations). */
export const scramIterationsMin = 4096;
export const scramIterationsMax = 16_384;
/** The most credentials (user and mechanism pairs) the image holds; more is POLICY_VIOLATION. */
export const scramCredentialsMax = 10_000;
/** The most deletions plus upsertions one request may carry. */
export const scramRequestItemsMax = 1_000;
/** The longest user name, in UTF-16 units. */
export const scramUserNameCharsMax = 1_024;
/** The longest salt, in hex characters (512 bytes; clients send 32 or 64). */
export const scramSaltHexCharsMax = 1_024;

/** StoredKey and ServerKey are one hash long: SHA-256 is 32 bytes, SHA-512 64, in hex characters. */
export function scramKeyHexChars(mechanism: ScramMechanismName): number {
  return mechanism === "SCRAM-SHA-256" ? 64 : 128;
}

/** One stored credential: Kafka's UserScramCredentialRecord. Byte fields are lower-case hex. */
export interface ScramCredentialEntry {
  readonly name: string;
  readonly mechanism: ScramMechanismName;
  readonly salt: string;
  readonly storedKey: string;
  readonly serverKey: string;
  readonly iterations: number;
}

/** An upsertion as the controller receives it: the keys derived by the broker from the salted password. */
export type ScramUpsertion = ScramCredentialEntry;

/** A deletion; `mechanism` may be any text so an unknown one is answered, not thrown. */
export interface ScramDeletion {
  readonly name: string;
  readonly mechanism: string;
}

/** The error names AlterUserScramCredentials answers with. */
export type ScramError =
  | "NONE"
  | "NOT_CONTROLLER"
  | "INVALID_REQUEST"
  | "POLICY_VIOLATION"
  | "UNSUPPORTED_SASL_MECHANISM"
  | "UNACCEPTABLE_CREDENTIAL"
  | "RESOURCE_NOT_FOUND"
  | "DUPLICATE_RESOURCE";

/** One user's answer; `message` is Kafka's text for the error (null with NONE). */
export interface ScramResult {
  readonly name: string;
  readonly error: ScramError;
  readonly message: string | null;
}

/** Kafka's UserScramCredentialRecord and RemoveUserScramCredentialRecord. */
export type ScramRecord =
  | { readonly type: "UserScramCredential"; readonly credential: ScramCredentialEntry }
  | {
      readonly type: "RemoveUserScramCredential";
      readonly name: string;
      readonly mechanism: ScramMechanismName;
    };

const hexText = /^(?:[0-9a-f]{2})+$/;

function isMechanism(text: unknown): text is ScramMechanismName {
  return (scramMechanismNames as readonly unknown[]).includes(text);
}

function validName(name: unknown): name is string {
  return typeof name === "string" && name.length > 0 && name.length <= scramUserNameCharsMax;
}

/** The same credential with exactly its six fields, so records and images hold nothing else. */
export function scramCredentialOf(entry: ScramCredentialEntry): ScramCredentialEntry {
  return {
    name: entry.name,
    mechanism: entry.mechanism,
    salt: entry.salt,
    storedKey: entry.storedKey,
    serverKey: entry.serverKey,
    iterations: entry.iterations,
  };
}

/**
 * Why this credential may not be stored, or null when it may: the error and Kafka's message. Values
 * from JSON are checked too: a request forwarded by another node arrives as parsed text.
 */
export function scramCredentialProblem(
  entry: ScramCredentialEntry,
): { readonly error: ScramError; readonly message: string } | null {
  if (!isMechanism(entry.mechanism))
    return { error: "UNSUPPORTED_SASL_MECHANISM", message: "Unknown SCRAM mechanism" };
  if (!validName(entry.name))
    return { error: "UNACCEPTABLE_CREDENTIAL", message: "Username must not be empty or too long" };
  if (!Number.isSafeInteger(entry.iterations) || entry.iterations < scramIterationsMin)
    return { error: "UNACCEPTABLE_CREDENTIAL", message: "Too few iterations" };
  if (entry.iterations > scramIterationsMax)
    return { error: "UNACCEPTABLE_CREDENTIAL", message: "Too many iterations" };
  if (typeof entry.salt !== "string" || !hexText.test(entry.salt) || entry.salt.length > scramSaltHexCharsMax)
    return { error: "UNACCEPTABLE_CREDENTIAL", message: "Salt must not be empty or too long" };
  const keyChars = scramKeyHexChars(entry.mechanism);
  for (const key of [entry.storedKey, entry.serverKey]) {
    if (typeof key !== "string" || key.length !== keyChars || !hexText.test(key))
      return { error: "INVALID_REQUEST", message: "Malformed derived key" };
  }
  return null;
}

function credentialKey(name: string, mechanism: string): string {
  return JSON.stringify([name, mechanism]);
}

/** What an AlterUserScramCredentials decision proposes and answers (one result per user named). */
export interface AlterScramDecision {
  readonly records: readonly ScramRecord[];
  readonly results: readonly ScramResult[];
}

const duplicateMessage = "A user credential cannot be altered twice in the same request";

/**
 * Kafka's ScramControlManager.alterCredentials on the credentials decided on so far: a user named
 * twice in the request (deletions and upsertions together) is refused with DUPLICATE_RESOURCE and
 * nothing of it changes; a deletion of an unknown mechanism is UNSUPPORTED_SASL_MECHANISM, of a
 * credential that does not exist RESOURCE_NOT_FOUND; an upsertion outside the iteration bounds
 * UNACCEPTABLE_CREDENTIAL. Results come one per user, in the order each user first appears.
 */
export function decideAlterScramCredentials(
  current: readonly ScramCredentialEntry[],
  deletions: readonly ScramDeletion[],
  upsertions: readonly ScramUpsertion[],
): AlterScramDecision {
  invariant(current.length <= scramCredentialsMax, "scram: the image holds more credentials than its bound");
  const order: string[] = [];
  const errors = new Map<string, ScramResult>();
  if (deletions.length + upsertions.length > scramRequestItemsMax) {
    for (const item of [...deletions, ...upsertions]) {
      if (errors.size >= scramRequestItemsMax) break;
      const name = String(item.name);
      if (!errors.has(name))
        errors.set(name, { name, error: "INVALID_REQUEST", message: "Too many changes in one request" });
    }
    return { records: [], results: [...errors.values()] };
  }
  const seen = new Map<string, "deletion" | "upsertion">();
  const deletionOf = new Map<string, ScramDeletion>();
  const upsertionOf = new Map<string, ScramUpsertion>();
  for (const [kind, item] of [
    ...deletions.map((d) => ["deletion", d] as const),
    ...upsertions.map((u) => ["upsertion", u] as const),
  ]) {
    const name = String(item.name);
    if (!seen.has(name)) order.push(name);
    if (errors.has(name)) continue;
    if (seen.has(name)) {
      deletionOf.delete(name);
      upsertionOf.delete(name);
      errors.set(name, { name, error: "DUPLICATE_RESOURCE", message: duplicateMessage });
      continue;
    }
    seen.set(name, kind);
    if (kind === "deletion") deletionOf.set(name, item as ScramDeletion);
    else upsertionOf.set(name, item as ScramUpsertion);
  }
  const keys = new Set(current.map((c) => credentialKey(c.name, c.mechanism)));
  const records: ScramRecord[] = [];
  const results = new Map<string, ScramResult>(errors);
  for (const [name, deletion] of deletionOf) {
    if (!isMechanism(deletion.mechanism)) {
      results.set(name, { name, error: "UNSUPPORTED_SASL_MECHANISM", message: "Unknown SCRAM mechanism" });
    } else if (!keys.has(credentialKey(name, deletion.mechanism))) {
      results.set(name, {
        name,
        error: "RESOURCE_NOT_FOUND",
        message: "Attempt to delete a user credential that does not exist",
      });
    } else {
      keys.delete(credentialKey(name, deletion.mechanism));
      records.push({ type: "RemoveUserScramCredential", name, mechanism: deletion.mechanism });
      results.set(name, { name, error: "NONE", message: null });
    }
  }
  for (const [name, upsertion] of upsertionOf) {
    const problem = scramCredentialProblem(upsertion);
    const key = credentialKey(name, upsertion.mechanism);
    if (problem !== null) {
      results.set(name, { name, ...problem });
    } else if (!keys.has(key) && keys.size >= scramCredentialsMax) {
      results.set(name, { name, error: "POLICY_VIOLATION", message: "Too many SCRAM credentials" });
    } else {
      keys.add(key);
      records.push({ type: "UserScramCredential", credential: scramCredentialOf(upsertion) });
      results.set(name, { name, error: "NONE", message: null });
    }
  }
  invariant(keys.size <= scramCredentialsMax, "scram: a decision went past the credential bound");
  invariant(results.size === order.length, "scram: a user without an answer");
  return { records, results: order.map((name) => results.get(name)!) };
}

/**
 * Folds one credential record into an image's credential list (a new array; the old one is shared
 * with earlier images). An upsertion replaces the user's credential of that mechanism in place. The
 * records come from the committed log, which only a validating controller writes, so an invalid
 * credential or the removal of an absent one is a controller bug and fails loudly.
 */
export function applyScramRecord(
  credentials: readonly ScramCredentialEntry[],
  record: ScramRecord,
): ScramCredentialEntry[] {
  const name = record.type === "UserScramCredential" ? record.credential.name : record.name;
  const mechanism = record.type === "UserScramCredential" ? record.credential.mechanism : record.mechanism;
  const at = credentials.findIndex((c) => c.name === name && c.mechanism === mechanism);
  if (record.type === "UserScramCredential") {
    invariant(scramCredentialProblem(record.credential) === null, "image: an invalid SCRAM credential");
    const entry = scramCredentialOf(record.credential);
    if (at !== -1) return [...credentials.slice(0, at), entry, ...credentials.slice(at + 1)];
    invariant(credentials.length < scramCredentialsMax, "image: too many SCRAM credentials");
    return [...credentials, entry];
  }
  invariant(at !== -1, "image: removing a SCRAM credential that does not exist");
  return [...credentials.slice(0, at), ...credentials.slice(at + 1)];
}
