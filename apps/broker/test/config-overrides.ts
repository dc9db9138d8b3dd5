/**
 * The broker's configuration as a test gives it: property lines passed as `--override` flags, read as
 * the command line reads them (`src/config/cli.ts`). The settings tests (ssl-settings,
 * inter-broker-settings) check each accepted form and each refusal's words with it.
 *
 * It is test scaffolding: it must never be imported by production code.
 */
import { expect } from "bun:test";
import type { BrokerConfig } from "../src/config/broker-config.ts";
import { parseCli } from "../src/config/cli.ts";
import { ConfigError } from "../src/config/resolve.ts";

/** The configuration of `lines` (`key=value` each); throws the ConfigError that refuses them. */
export function configOfOverrides(lines: readonly string[]): BrokerConfig {
  return parseCli(
    lines.flatMap((l) => ["--override", l]),
    {},
  ).config;
}

/** The message of the ConfigError that refuses `lines`; a test failure when they are accepted. */
export function overridesRefusal(lines: readonly string[]): string {
  try {
    configOfOverrides(lines);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("the configuration was accepted");
}
