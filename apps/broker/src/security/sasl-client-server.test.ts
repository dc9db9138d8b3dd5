/**
 * The SASL client a node authenticates to its peers with (`@eddy/client`'s, which the tools use too),
 * run against this broker's own SCRAM server (`scram.ts`, itself tested against kcat, kafka-python and
 * kafkajs); both compute their keys with `@eddy/client`'s scram-keys.ts, so the clients above pin the
 * shared arithmetic from outside. Goal: the right password is
 * accepted by the server and the server's signature by the client; a wrong password is refused by the
 * server; a server that does not hold the credential, or one whose nonce does not extend the client's,
 * is refused by the client, so a node never takes an impostor for its peer. fast-check: any user name
 * and password round-trip.
 */
import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { SaslClientError, saslClientExchange } from "@eddy/client";
import fc from "fast-check";
import { ScramExchange, type ScramMechanism, scramCredential } from "./scram.ts";

const decoder = new TextDecoder();

/** Runs one exchange; the server's verdict and, if it accepted, the client's. */
function run(mechanism: ScramMechanism, stored: string, given: string, user = "broker") {
  const credential = scramCredential(mechanism, stored, 4096);
  const server = new ScramExchange(
    mechanism,
    (name) => (name === user ? credential : undefined),
    randomBytes(32),
  );
  const client = saslClientExchange(mechanism, user, given);
  const challenge = server.step(client.first());
  if (challenge.kind !== "challenge") throw new Error("no challenge");
  const final = client.next(challenge.token);
  if (final.kind !== "send") throw new Error("the client sent no final message");
  const verdict = server.step(final.token);
  if (verdict.kind !== "done") return { server: verdict.kind, client: null };
  return { server: verdict.kind, client: client.next(verdict.token).kind, principal: verdict.principal };
}

describe("SASL client", () => {
  for (const mechanism of ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const) {
    test(`${mechanism}: the right password authenticates both ways`, () => {
      expect(run(mechanism, "broker-secret", "broker-secret")).toEqual({
        server: "done",
        client: "done",
        principal: "broker",
      });
    });

    test(`${mechanism}: a wrong password is refused by the server`, () => {
      expect(run(mechanism, "broker-secret", "wrong")).toEqual({ server: "refused", client: null });
    });
  }

  test("a server signature from another credential is refused by the client", () => {
    const client = saslClientExchange("SCRAM-SHA-256", "broker", "broker-secret", "abc");
    client.first();
    const salt = Buffer.from("salt").toString("base64");
    client.next(new TextEncoder().encode(`r=abcdef,s=${salt},i=4096`));
    const forged = `v=${randomBytes(32).toString("base64")}`;
    expect(() => client.next(new TextEncoder().encode(forged))).toThrow(SaslClientError);
  });

  test("a server nonce that does not extend the client's, an error, or garbage is refused", () => {
    const salt = Buffer.from("salt").toString("base64");
    for (const token of [
      `r=zzz,s=${salt},i=4096`,
      `r=abc,s=${salt},i=4096`,
      "e=invalid-proof",
      "garbage",
      `r=abcd,s=${salt},i=0`,
    ]) {
      const client = saslClientExchange("SCRAM-SHA-512", "broker", "broker-secret", "abc");
      client.first();
      expect(() => client.next(new TextEncoder().encode(token))).toThrow(SaslClientError);
    }
  });

  test("PLAIN sends authzid-less user and password, and is done after the server's answer", () => {
    const client = saslClientExchange("PLAIN", "broker", "broker-secret");
    expect(decoder.decode(client.first())).toBe("\u0000broker\u0000broker-secret");
    expect(client.next(new Uint8Array(0))).toEqual({ kind: "done" });
  });

  test("property: any user name and password authenticate with SCRAM-SHA-256", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        (user, password) => {
          expect(run("SCRAM-SHA-256", password, password, user).server).toBe("done");
        },
      ),
      { numRuns: 30 },
    );
  });
});
