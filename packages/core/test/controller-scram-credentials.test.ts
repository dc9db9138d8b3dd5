/**
 * SCRAM credentials in the metadata log (Kafka's ScramControlManager). Goal: AlterUserScramCredentials
 * decides as Kafka does, commits UserScramCredential / RemoveUserScramCredential records holding only
 * salt, iterations, StoredKey and ServerKey, and leaves images without credentials exactly as they
 * were. Method: unit tests pin the answers and records (iteration bounds, unknown mechanisms, a user
 * named twice, deleting what does not exist, replacing in place, a standby, the image's own checks).
 */
import { describe, expect, test } from "bun:test";
import type { ScramCredentialEntry } from "../src/controller/index.ts";
import * as controller from "../src/controller/index.ts";
import { InvariantError } from "../src/invariant.ts";
import { prngFromSeed } from "../src/prng.ts";
import { Driver } from "./controller-driver.ts";

function credential(overrides: Partial<ScramCredentialEntry> = {}): ScramCredentialEntry {
  return {
    name: "alice",
    mechanism: "SCRAM-SHA-256",
    salt: "00112233",
    storedKey: "aa".repeat(32),
    serverKey: "bb".repeat(32),
    iterations: 4096,
    ...overrides,
  };
}

function activeDriver(): Driver {
  const d = new Driver();
  d.register(1, 0);
  return d;
}

describe("controller: SCRAM credentials", () => {
  test("an upsertion commits a UserScramCredential record; a deletion removes it and the field goes", () => {
    const d = activeDriver();
    expect("scramCredentials" in d.image).toBe(false);
    const sha512 = credential({
      name: "bob",
      mechanism: "SCRAM-SHA-512",
      storedKey: "cc".repeat(64),
      serverKey: "dd".repeat(64),
    });
    const put = d.send({
      type: "alterUserScramCredentials",
      deletions: [],
      upsertions: [credential(), sha512],
    });
    expect(put.response).toEqual({
      type: "alterUserScramCredentials",
      results: [
        { name: "alice", error: "NONE", message: null },
        { name: "bob", error: "NONE", message: null },
      ],
    });
    expect(put.records).toEqual([
      { type: "UserScramCredential", credential: credential() },
      { type: "UserScramCredential", credential: sha512 },
    ]);
    expect(d.image.scramCredentials).toEqual([credential(), sha512]);
    // A new password for alice replaces hers in place.
    const again = credential({ salt: "ffee", iterations: 8192 });
    d.send({ type: "alterUserScramCredentials", deletions: [], upsertions: [again] });
    expect(d.image.scramCredentials).toEqual([again, sha512]);
    const del = d.send({
      type: "alterUserScramCredentials",
      deletions: [
        { name: "alice", mechanism: "SCRAM-SHA-256" },
        { name: "bob", mechanism: "SCRAM-SHA-512" },
      ],
      upsertions: [],
    });
    expect(del.records).toEqual([
      { type: "RemoveUserScramCredential", name: "alice", mechanism: "SCRAM-SHA-256" },
      { type: "RemoveUserScramCredential", name: "bob", mechanism: "SCRAM-SHA-512" },
    ]);
    expect("scramCredentials" in d.image).toBe(false);
  });

  test("Kafka's refusals: iterations out of bounds, unknown mechanisms, a user twice, an absent credential", () => {
    const d = activeDriver();
    const ready = d.send({
      type: "alterUserScramCredentials",
      deletions: [
        { name: "ghost", mechanism: "SCRAM-SHA-256" },
        { name: "x", mechanism: "SCRAM-SHA-1" },
        { name: "twice", mechanism: "SCRAM-SHA-256" },
      ],
      upsertions: [
        credential({ name: "few", iterations: 4095 }),
        credential({ name: "many", iterations: 16_385 }),
        credential({ name: "twice" }),
        credential({ name: "md5", mechanism: "SCRAM-MD5" as "SCRAM-SHA-256" }),
        credential({ name: "ok", iterations: 16_384 }),
      ],
    });
    expect(ready.response).toEqual({
      type: "alterUserScramCredentials",
      results: [
        {
          name: "ghost",
          error: "RESOURCE_NOT_FOUND",
          message: "Attempt to delete a user credential that does not exist",
        },
        { name: "x", error: "UNSUPPORTED_SASL_MECHANISM", message: "Unknown SCRAM mechanism" },
        {
          name: "twice",
          error: "DUPLICATE_RESOURCE",
          message: "A user credential cannot be altered twice in the same request",
        },
        { name: "few", error: "UNACCEPTABLE_CREDENTIAL", message: "Too few iterations" },
        { name: "many", error: "UNACCEPTABLE_CREDENTIAL", message: "Too many iterations" },
        { name: "md5", error: "UNSUPPORTED_SASL_MECHANISM", message: "Unknown SCRAM mechanism" },
        { name: "ok", error: "NONE", message: null },
      ],
    });
    expect(ready.records).toEqual([
      { type: "UserScramCredential", credential: credential({ name: "ok", iterations: 16_384 }) },
    ]);
  });

  test("a key of the wrong length for its mechanism is refused and nothing is written", () => {
    const d = activeDriver();
    const ready = d.send({
      type: "alterUserScramCredentials",
      deletions: [],
      upsertions: [credential({ mechanism: "SCRAM-SHA-512" })],
    });
    expect(ready.records).toEqual([]);
    expect(ready.response).toEqual({
      type: "alterUserScramCredentials",
      results: [{ name: "alice", error: "INVALID_REQUEST", message: "Malformed derived key" }],
    });
  });

  test("a standby answers NOT_CONTROLLER and proposes nothing", () => {
    const state = controller.initialState({ prng: prngFromSeed(3) });
    const ready = controller.step(state, {
      type: "alterUserScramCredentials",
      deletions: [{ name: "bob", mechanism: "SCRAM-SHA-256" }],
      upsertions: [credential()],
    }).ready;
    expect(ready).toEqual({
      records: [],
      response: {
        type: "alterUserScramCredentials",
        results: [
          { name: "bob", error: "NOT_CONTROLLER", message: null },
          { name: "alice", error: "NOT_CONTROLLER", message: null },
        ],
      },
    });
  });

  test("the image refuses an invalid credential or the removal of an absent one (a controller bug)", () => {
    expect(() =>
      controller.applyRecord(controller.emptyImage, {
        type: "UserScramCredential",
        credential: credential({ iterations: 1 }),
      }),
    ).toThrow(InvariantError);
    expect(() =>
      controller.applyRecord(controller.emptyImage, {
        type: "RemoveUserScramCredential",
        name: "alice",
        mechanism: "SCRAM-SHA-256",
      }),
    ).toThrow(InvariantError);
  });
});
