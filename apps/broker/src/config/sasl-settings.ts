/**
 * The SASL settings of a `SASL_PLAINTEXT` listener, in Kafka's property names:
 * `sasl.enabled.mechanisms` (or `listener.name.<listener>.sasl.enabled.mechanisms`) and, per enabled
 * mechanism, `listener.name.<listener>.<mechanism>.sasl.jaas.config` holding the users as Kafka's
 * `PlainLoginModule` takes them: `user_<name>="<password>"`.
 *
 * SCRAM credentials live in the metadata log (AlterUserScramCredentials; `security/scram-lookup.ts`
 * looks there first), so a SCRAM mechanism needs no JAAS property; beside them, its users may come
 * from the same JAAS form under `ScramLoginModule` (`listener.name.<l>.scram-sha-256.sasl.jaas.config=...
 * ScramLoginModule required user_bob="bob-secret";`), salted and hashed when the broker starts.
 *
 * Owns parsing the JAAS text (Kafka's grammar: one login module, a control flag, `key=value` options,
 * a closing `;`) and the rules between the keys. Every problem is a `ConfigError` naming the property
 * and the position, never a password.
 */
import { ConfigError } from "./resolve.ts";

export type SaslMechanism = "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";
export const saslMechanisms: readonly SaslMechanism[] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];

export interface ListenerSasl {
  /** The listener's name, upper case. */
  readonly listener: string;
  /** In the order the operator listed them (SaslHandshake answers them in this order). */
  readonly mechanisms: readonly SaslMechanism[];
  /** Users and passwords of each enabled mechanism, from its JAAS property (a SCRAM one may have none). */
  readonly users: ReadonlyMap<SaslMechanism, ReadonlyMap<string, string>>;
}

const loginModules: Record<SaslMechanism, string> = {
  PLAIN: "org.apache.kafka.common.security.plain.PlainLoginModule",
  "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
  "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
};

export interface JaasEntry {
  readonly loginModule: string;
  readonly flag: string;
  readonly options: ReadonlyMap<string, string>;
}

/** Bounds a JAAS text: a config this long is a mistake, not a user list. */
const jaasTextMax = 1_000_000;

/**
 * Parses a `sasl.jaas.config` value: `<LoginModule> <flag> key=value ... ;`, values quoted (with `\`
 * escapes) or bare words, `//` and `/* *\/` comments, exactly one login module. Errors name the
 * position and what was expected, never the text at that position (it may be a password).
 */
export function parseJaasConfig(text: string, key: string): JaasEntry {
  if (text.length > jaasTextMax) throw new ConfigError(`${key} is longer than ${jaasTextMax} characters`);
  let at = 0;
  const fail = (what: string): never => {
    throw new ConfigError(
      `${key}: invalid JAAS configuration at character ${at + 1}: ${what} (expected: <LoginModule> required user_<name>="<password>" ... ;)`,
    );
  };
  const skip = (): void => {
    for (;;) {
      while (at < text.length && /\s/.test(text[at]!)) at++;
      if (text.startsWith("//", at)) {
        while (at < text.length && text[at] !== "\n") at++;
      } else if (text.startsWith("/*", at)) {
        const end = text.indexOf("*/", at + 2);
        if (end < 0) fail("a comment is not closed");
        at = end + 2;
      } else return;
    }
  };
  const word = (what: string): string => {
    skip();
    const match = /^[^\s=;"/]+/.exec(text.slice(at, at + 10_000));
    if (match === null) fail(`expected ${what}`);
    at += match![0].length;
    return match![0];
  };
  const value = (): string => {
    skip();
    if (text[at] !== '"') return word("a value");
    at++;
    let out = "";
    while (at < text.length && text[at] !== '"') {
      if (text[at] === "\\") {
        at++;
        if (at >= text.length) break;
      }
      out += text[at];
      at++;
    }
    if (at >= text.length) fail("a quoted value is not closed");
    at++;
    return out;
  };

  const loginModule = word("a login module class name");
  const flag = word("a control flag");
  if (!["required", "requisite", "sufficient", "optional"].includes(flag.toLowerCase())) {
    at -= flag.length;
    fail("expected a control flag: required, requisite, sufficient or optional");
  }
  const options = new Map<string, string>();
  for (;;) {
    skip();
    if (at >= text.length) fail('missing ";" at the end');
    if (text[at] === ";") {
      at++;
      break;
    }
    const name = word("an option name or ;");
    skip();
    if (text[at] !== "=") fail(`expected "=" after option ${name}`);
    at++;
    if (options.has(name)) {
      at -= 1;
      fail(`option ${name} appears twice`);
    }
    options.set(name, value());
  }
  skip();
  if (at < text.length) fail("more than one login module; Kafka takes exactly one in sasl.jaas.config");
  return { loginModule, flag, options };
}

export interface SaslTexts {
  /** `sasl.enabled.mechanisms` (Kafka's default is GSSAPI). */
  readonly enabledMechanisms: string | null;
  /** A listener-prefixed property's text, by its full name, or null. */
  readonly property: (name: string) => string | null;
}

/** The SASL settings of one SASL listener, checked. */
export function toListenerSasl(listener: string, texts: SaslTexts): ListenerSasl {
  const prefix = `listener.name.${listener.toLowerCase()}.`;
  const ownKey = `${prefix}sasl.enabled.mechanisms`;
  const own = texts.property(ownKey);
  const key = own === null ? "sasl.enabled.mechanisms" : ownKey;
  const text = own ?? texts.enabledMechanisms ?? "GSSAPI";
  const names = text
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "");
  if (names.length === 0) throw new ConfigError(`${key} is empty: listener ${listener} needs a mechanism`);
  const mechanisms: SaslMechanism[] = [];
  for (const name of names) {
    const mechanism = saslMechanisms.find((m) => m === name.toUpperCase());
    if (mechanism === undefined) {
      throw new ConfigError(
        `${key}=${text}: Eddy serves ${saslMechanisms.join(", ")}; ${name} is not supported` +
          (texts.enabledMechanisms === null && own === null
            ? " (GSSAPI is Kafka's default, so set sasl.enabled.mechanisms for SASL listeners)"
            : ""),
      );
    }
    if (mechanisms.includes(mechanism)) throw new ConfigError(`${key}: ${mechanism} appears twice`);
    mechanisms.push(mechanism);
  }
  const users = new Map<SaslMechanism, ReadonlyMap<string, string>>();
  for (const mechanism of mechanisms) {
    const jaasKey = `${prefix}${mechanism.toLowerCase()}.sasl.jaas.config`;
    const jaas = texts.property(jaasKey);
    // SCRAM users live in the metadata log (AlterUserScramCredentials); the JAAS ones are optional.
    if (jaas === null && mechanism !== "PLAIN") continue;
    if (jaas === null) {
      throw new ConfigError(
        `${mechanism} is enabled on listener ${listener} but ${jaasKey} is not set (${loginModules[mechanism]} required user_<name>="<password>";)`,
      );
    }
    const entry = parseJaasConfig(jaas, jaasKey);
    if (entry.loginModule !== loginModules[mechanism]) {
      throw new ConfigError(`${jaasKey}: the login module for ${mechanism} is ${loginModules[mechanism]}`);
    }
    if (entry.flag.toLowerCase() !== "required") {
      throw new ConfigError(`${jaasKey}: the control flag must be "required"`);
    }
    const mechanismUsers = new Map<string, string>();
    for (const [option, password] of entry.options) {
      if (!option.startsWith("user_")) continue;
      const name = option.slice("user_".length);
      if (name === "") throw new ConfigError(`${jaasKey}: an option user_ names no user`);
      if (password === "") throw new ConfigError(`${jaasKey}: user ${name} has an empty password`);
      mechanismUsers.set(name, password);
    }
    // A SCRAM JAAS may hold only the node's own inter-broker credentials (username, password): its
    // users then all come from the metadata log.
    if (mechanismUsers.size === 0 && !(mechanism !== "PLAIN" && entry.options.has("username"))) {
      throw new ConfigError(`${jaasKey}: no users (options user_<name>="<password>")`);
    }
    users.set(mechanism, mechanismUsers);
  }
  return { listener, mechanisms, users };
}
