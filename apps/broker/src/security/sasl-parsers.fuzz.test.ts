/**
 * Fuzzes the SASL and SCRAM message parsers and exchanges with fast-check, 100,000+ cases in all
 * (seeded, a few seconds): arbitrary bytes and arbitrary strings in the shapes of each message never
 * crash a parser; a parse that succeeds is consistent with its input; and every token that is not a
 * correct one (random bytes, or a correct token with one byte changed, cut short or extended) is
 * refused: no exchange ever ends in success without the right credentials and the server's nonce.
 */
import { describe, expect, test } from "bun:test";
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import fc from "fast-check";
import { PlainUsers, parsePlainToken } from "./plain.ts";
import {
  parseClientFinal,
  parseClientFirst,
  type ScramCredential,
  ScramExchange,
  type ScramMechanism,
  scramCredential,
  unescapeSaslName,
} from "./scram.ts";

const seed = 14;
const enc = new TextEncoder();
const dec = new TextDecoder();
let cases = 0;

const bytes = fc.uint8Array({ maxLength: 300 });
/** Text with the characters SCRAM's syntax turns on, so shapes are hit often. */
const scramChar = fc.constantFrom(
  "n",
  "r",
  "c",
  "p",
  "a",
  "=",
  ",",
  "2C",
  "3D",
  "biws",
  "\0",
  "é",
  "A",
  "/",
  "+",
);
const scramText = fc.array(scramChar, { maxLength: 40 }).map((parts) => parts.join(""));

const credentials = new Map<ScramMechanism, ScramCredential>([
  ["SCRAM-SHA-256", scramCredential("SCRAM-SHA-256", "bob-secret", 4096)],
  ["SCRAM-SHA-512", scramCredential("SCRAM-SHA-512", "bob-secret", 4096)],
]);
const decoySecret = randomBytes(32);
const exchange = (mechanism: ScramMechanism) =>
  new ScramExchange(
    mechanism,
    (name) => (name === "bob" ? credentials.get(mechanism) : undefined),
    decoySecret,
  );

/** bob's salted password per mechanism, computed once. */
const salted = new Map(
  [...credentials].map(([mechanism, credential]) => {
    const h = mechanism === "SCRAM-SHA-256" ? "sha256" : "sha512";
    return [mechanism, pbkdf2Sync("bob-secret", credential.salt, 4096, h === "sha256" ? 32 : 64, h)];
  }),
);

/**
 * A client-final for a server-first, computed with bob's real salted password whatever salt the
 * server named (the reference for mutations, and an attacker who knows more than any client would).
 */
function clientFinalFor(mechanism: ScramMechanism, clientFirstBare: string, serverFirst: string): string {
  const h = mechanism === "SCRAM-SHA-256" ? "sha256" : "sha512";
  const attrs = new Map(serverFirst.split(",").map((kv) => [kv.slice(0, 1), kv.slice(2)]));
  const saltedPassword = salted.get(mechanism)!;
  const clientKey = createHmac(h, saltedPassword).update("Client Key").digest();
  const storedKey = createHash(h).update(clientKey).digest();
  const withoutProof = `c=biws,r=${attrs.get("r")}`;
  const signature = createHmac(h, storedKey)
    .update(`${clientFirstBare},${serverFirst},${withoutProof}`)
    .digest();
  return `${withoutProof},p=${Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString("base64")}`;
}

/** One byte of `token` changed, or the token cut short, or a byte added: never the same bytes. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), delta: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat(), delta: fc.constant(0) }),
  fc.record({ kind: fc.constant("add" as const), at: fc.nat(), delta: fc.integer({ min: 0, max: 255 }) }),
);
function mutate(
  token: Uint8Array,
  m: { kind: "set" | "cut" | "add"; at: number; delta: number },
): Uint8Array {
  const at = m.at % token.length;
  if (m.kind === "set") {
    const out = token.slice();
    out[at] = (out[at]! + m.delta) & 0xff;
    return out;
  }
  if (m.kind === "cut") return token.subarray(0, at);
  const out = new Uint8Array(token.length + 1);
  out.set(token.subarray(0, at), 0);
  out[at] = m.delta;
  out.set(token.subarray(at), at + 1);
  return out;
}

describe("SASL parsers under fuzzing", () => {
  test("arbitrary bytes: no parser throws; a SCRAM exchange fed them never succeeds", () => {
    fc.assert(
      fc.property(bytes, bytes, (a, b) => {
        cases++;
        parsePlainToken(a);
        parseClientFirst(a);
        parseClientFinal(a);
        const ex = exchange(cases % 2 === 0 ? "SCRAM-SHA-256" : "SCRAM-SHA-512");
        const first = ex.step(a);
        const second = ex.step(b);
        expect(first.kind === "done" || second.kind === "done").toBe(false);
        expect(ex.step(b).kind).toBe("refused");
      }),
      { numRuns: 35_000, seed },
    );
  });

  test("SCRAM-shaped text: parses are consistent with their input, never throw", () => {
    fc.assert(
      fc.property(scramText, scramText, scramText, scramText, (a, b, c, d) => {
        cases++;
        for (const text of [`n,${a},n=${b},r=${c}`, `n,,n=${b},r=${c}${d}`, `${a}${b}`]) {
          const first = parseClientFirst(enc.encode(text));
          if (first !== null) {
            expect(text.endsWith(first.bare)).toBe(true);
            expect(first.gs2Header + first.bare).toBe(text);
            expect(first.clientNonce.includes(",")).toBe(false);
            expect(first.clientNonce.length).toBeGreaterThan(0);
          }
        }
        for (const text of [`c=${a},r=${b},p=${c}`, `c=biws,r=${b}${d},p=${c}`, `${a}${c}`]) {
          const final = parseClientFinal(enc.encode(text));
          if (final !== null) {
            expect(`${final.withoutProof},p=${Buffer.from(final.proof).toString("base64")}`).toBe(text);
          }
        }
        const name = unescapeSaslName(a);
        if (name !== null) expect(a.includes(",")).toBe(false);
        const plain = parsePlainToken(enc.encode(`${a}\0${b}\0${c}`));
        if (plain !== null) expect(plain.username).toBe(b);
      }),
      { numRuns: 35_000, seed },
    );
  });

  test("a correct SCRAM exchange with one change to either client message is refused", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), mutation, (sha512, inFirst, m) => {
        cases++;
        const mechanism: ScramMechanism = sha512 ? "SCRAM-SHA-512" : "SCRAM-SHA-256";
        const ex = exchange(mechanism);
        const bare = "n=bob,r=fyko+d2lbbFgONRv9qkxdawL";
        const clientFirst = enc.encode(`n,,${bare}`);
        const first = ex.step(inFirst ? mutate(clientFirst, m) : clientFirst);
        if (first.kind !== "challenge") return;
        const serverFirst = dec.decode(first.token);
        // After a changed client-first, the client computes its final from what it sent (the reference
        // client-first): the server's AuthMessage differs, so the proof must not verify.
        const final = enc.encode(clientFinalFor(mechanism, bare, serverFirst));
        const last = ex.step(inFirst ? final : mutate(final, m));
        expect(last.kind).toBe("refused");
      }),
      { numRuns: 20_000, seed },
    );
  });

  test("PLAIN: only the exact credentials pass; one change to them is refused", () => {
    const users = new PlainUsers(new Map([["alice", "alice-secret"]]));
    const good = enc.encode("\0alice\0alice-secret");
    expect(users.authenticate(good).kind).toBe("done");
    fc.assert(
      fc.property(mutation, bytes, (m, random) => {
        cases++;
        expect(users.authenticate(mutate(good, m)).kind).toBe("refused");
        expect(users.authenticate(random).kind).toBe("refused");
      }),
      { numRuns: 20_000, seed },
    );
  });

  test("the correct exchanges succeed (the fuzzing above is not refusing everything)", () => {
    for (const mechanism of ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const) {
      const ex = exchange(mechanism);
      const bare = "n=bob,r=abc";
      const first = ex.step(enc.encode(`n,,${bare}`));
      expect(first.kind).toBe("challenge");
      const serverFirst = dec.decode((first as { token: Uint8Array }).token);
      expect(ex.step(enc.encode(clientFinalFor(mechanism, bare, serverFirst))).kind).toBe("done");
    }
    expect(cases).toBeGreaterThanOrEqual(100_000);
  });
});
