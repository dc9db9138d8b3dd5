/**
 * The SCRAM arithmetic the client and the broker's SCRAM server share, computed from RFC 7677's
 * worked example (user "user", password "pencil", its salt and 4096 iterations): the client's proof
 * and the server's signature are the RFC's bytes, and the server's check (the proof XOR the client
 * signature hashes to StoredKey) holds for that proof and for no proof with one bit changed. Bad
 * arguments (an iteration count that is no positive whole number, halves of unequal length) are
 * refused rather than computed.
 */
import { describe, expect, test } from "bun:test";
import {
  scramHash,
  scramHashBytes,
  scramHmac,
  scramKeys,
  scramSaltedPassword,
  scramXor,
} from "../src/scram-keys.ts";

// RFC 7677 §3.
const clientFirstBare = "n=user,r=rOprNGfwEbeRWgbNEkqO";
const serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const clientFinalBare = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const proofText = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const serverSignatureText = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
const authMessage = `${clientFirstBare},${serverFirst},${clientFinalBare}`;

describe("SCRAM keys", () => {
  const salt = Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64");
  const keys = scramKeys("SCRAM-SHA-256", scramSaltedPassword("SCRAM-SHA-256", "pencil", salt, 4096));

  test("RFC 7677: the client's proof and the server's signature", () => {
    const clientSignature = scramHmac("SCRAM-SHA-256", keys.storedKey, authMessage);
    expect(scramXor(keys.clientKey, clientSignature).toString("base64")).toBe(proofText);
    expect(scramHmac("SCRAM-SHA-256", keys.serverKey, authMessage).toString("base64")).toBe(
      serverSignatureText,
    );
    expect(scramHash("SCRAM-SHA-256", keys.clientKey)).toEqual(keys.storedKey);
  });

  test("the server's check: the RFC's proof opens to StoredKey, a proof with any bit changed does not", () => {
    const clientSignature = scramHmac("SCRAM-SHA-256", keys.storedKey, authMessage);
    const opens = (proof: Uint8Array) =>
      scramHash("SCRAM-SHA-256", scramXor(proof, clientSignature)).equals(keys.storedKey);
    const proof = Buffer.from(proofText, "base64");
    expect(opens(proof)).toBe(true);
    for (let bit = 0; bit < proof.length * 8; bit++) {
      const changed = Buffer.from(proof);
      changed[bit >> 3] = changed[bit >> 3]! ^ (1 << (bit & 7));
      expect(opens(changed)).toBe(false);
    }
  });

  test("each mechanism's keys have its hash's length", () => {
    for (const mechanism of ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const) {
      const k = scramKeys(mechanism, scramSaltedPassword(mechanism, "pencil", salt, 1));
      expect([k.clientKey.length, k.storedKey.length, k.serverKey.length]).toEqual(
        Array(3).fill(scramHashBytes(mechanism)),
      );
    }
  });

  test("bad arguments are refused, not computed", () => {
    for (const iterations of [0, -1, 1.5, Number.NaN]) {
      expect(() => scramSaltedPassword("SCRAM-SHA-512", "pencil", salt, iterations)).toThrow(RangeError);
    }
    expect(() => scramXor(new Uint8Array(32), new Uint8Array(31))).toThrow(RangeError);
  });
});
