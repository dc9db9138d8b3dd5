/**
 * The SCRAM and PLAIN client tokens, checked against RFC 7677's worked SCRAM-SHA-256 example (user
 * "user", password "pencil"): the client's messages are the RFC's byte for byte, the server's
 * signature is accepted, and the exchange fails closed (a `SaslClientError`) when the signature,
 * nonce, iterations or message are not what RFC 5802 requires. SCRAM-SHA-512 against a real broker is
 * apps/cli/test/security.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { SaslClientError, saslClientExchange } from "../src/sasl-client.ts";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

// RFC 7677 §3.
const clientNonce = "rOprNGfwEbeRWgbNEkqO";
const serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const clientFinal =
  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

describe("SCRAM-SHA-256, RFC 7677's example", () => {
  test("the client's messages are the RFC's, and its server signature is accepted", () => {
    const exchange = saslClientExchange("SCRAM-SHA-256", "user", "pencil", clientNonce);
    expect(text(exchange.first())).toBe(`n,,n=user,r=${clientNonce}`);
    const step = exchange.next(bytes(serverFirst));
    expect(step.kind).toBe("send");
    expect(text((step as { token: Uint8Array }).token)).toBe(clientFinal);
    expect(exchange.next(bytes(serverFinal))).toEqual({ kind: "done" });
    expect(() => exchange.next(bytes(serverFinal))).toThrow("after the exchange ended");
  });

  test("a wrong server signature fails closed, whichever byte differs", () => {
    const good = Buffer.from(serverFinal.slice(2), "base64");
    // Every byte of the signature, each with its lowest and its highest bit flipped.
    for (let at = 0; at < good.length; at++) {
      for (const flip of [0x01, 0x80]) {
        const exchange = saslClientExchange("SCRAM-SHA-256", "user", "pencil", clientNonce);
        exchange.next(bytes(serverFirst));
        const bad = Buffer.from(good);
        bad[at] = bad[at]! ^ flip;
        expect(() => exchange.next(bytes(`v=${bad.toString("base64")}`))).toThrow(
          "the server's SCRAM signature is wrong",
        );
      }
    }
    const short = saslClientExchange("SCRAM-SHA-256", "user", "pencil", clientNonce);
    short.next(bytes(serverFirst));
    expect(() => short.next(bytes(`v=${good.subarray(1).toString("base64")}`))).toThrow(
      "the server's SCRAM signature is wrong",
    );
  });

  test("a server that signs for another password is refused", () => {
    const exchange = saslClientExchange("SCRAM-SHA-256", "user", "not-pencil", clientNonce);
    exchange.next(bytes(serverFirst));
    expect(() => exchange.next(bytes(serverFinal))).toThrow(SaslClientError);
  });

  test("the server's first message is checked before any work", () => {
    const first = (message: string) => () =>
      saslClientExchange("SCRAM-SHA-256", "user", "pencil", clientNonce).next(bytes(message));
    expect(first("r=someoneElse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")).toThrow("does not extend the client's");
    expect(first(`r=${clientNonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`)).toThrow(
      "does not extend the client's",
    );
    expect(first(`r=${clientNonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999`)).toThrow("SCRAM iterations");
    expect(first(`r=${clientNonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1`)).toThrow("SCRAM iterations");
    expect(first(`r=${clientNonce}x,i=4096`)).toThrow("lacks its nonce, salt or iterations");
    expect(first("e=invalid-proof")).toThrow("the server refused: invalid-proof");
    expect(first("not scram")).toThrow("malformed");
    expect(() =>
      saslClientExchange("SCRAM-SHA-256", "user", "pencil", clientNonce).next(new Uint8Array([0xff, 0xfe])),
    ).toThrow("not UTF-8");
  });

  test("user names escape '=' and ','", () => {
    expect(text(saslClientExchange("SCRAM-SHA-512", "a=b,c", "p", "n").first())).toBe("n,,n=a=3Db=2Cc,r=n");
  });
});

describe("PLAIN", () => {
  test("one token, authzid empty; a server token back is refused", () => {
    const exchange = saslClientExchange("PLAIN", "alice", "alice-secret");
    expect(text(exchange.first())).toBe("\u0000alice\u0000alice-secret");
    expect(exchange.next(new Uint8Array())).toEqual({ kind: "done" });
    expect(() => exchange.next(bytes("x"))).toThrow("a PLAIN server answered a token");
  });

  test("an empty user name or password is refused before anything is sent", () => {
    expect(() => saslClientExchange("PLAIN", "", "p")).toThrow("needs a username and a password");
    expect(() => saslClientExchange("SCRAM-SHA-512", "u", "")).toThrow("needs a username and a password");
  });
});
