/**
 * The broker process's life as one scoped Effect: start (storage, node, listener) is acquired and a
 * clean stop (stop accepting, drain, flush, close) is its release, so every way out of the program,
 * a signal, a failure after start or an interruption, runs the same stop once. A start that fails is
 * a `StartError` with a reason union the caller handles by tag. It owns only that shape; what the
 * broker does at start and stop is `Broker`'s, and what the process prints is `main.ts`'s.
 */
import { HwCheckpointError } from "@eddy/node";
import { StorageError } from "@eddy/storage";
import * as Effect from "effect/Effect";
import * as Schema from "effect/Schema";
import { Broker } from "./broker.ts";
import type { BrokerConfig } from "./config/broker-config.ts";

/** Stored data that does not decode or a failing disk: the broker refuses to start rather than guess. */
export class StartStorage extends Schema.TaggedClass<StartStorage>()("StartStorage", {
  detail: Schema.String,
}) {}
/** The listener's address is taken or not ours. */
export class StartListen extends Schema.TaggedClass<StartListen>()("StartListen", {
  detail: Schema.String,
}) {}
/** Anything else that stopped the start (a bug, reported with its message). */
export class StartOther extends Schema.TaggedClass<StartOther>()("StartOther", { detail: Schema.String }) {}

export const StartErrorReason = Schema.Union([StartStorage, StartListen, StartOther]);
export type StartErrorReason = StartStorage | StartListen | StartOther;

/** Why the broker did not start. */
export class StartError extends Schema.TaggedError<StartError>()("StartError", { reason: StartErrorReason }) {
  override get message(): string {
    return this.reason.detail;
  }
}

/** Sorts what a failed start threw into the reason a caller can act on. */
export function startErrorOf(error: unknown): StartError {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof StorageError || error instanceof HwCheckpointError)
    return new StartError({ reason: new StartStorage({ detail }) });
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL" || /EADDRINUSE/.test(detail))
    return new StartError({ reason: new StartListen({ detail }) });
  return new StartError({ reason: new StartOther({ detail }) });
}

/** The running broker as a scoped resource: released (stopped cleanly) when its scope closes. */
export function brokerResource(config: BrokerConfig, log: (line: string) => void) {
  return Effect.acquireRelease(
    Effect.tryPromise({ try: () => Broker.start(config, log), catch: startErrorOf }),
    (broker) =>
      Effect.promise(async () => {
        await broker.stop();
        log("stopped cleanly");
      }),
  );
}

/** Waits for SIGINT or SIGTERM and returns its name; the listeners go when the wait ends either way. */
export function untilStopSignal(): Effect.Effect<string> {
  return Effect.callback<string>((resume) => {
    const off = (): void => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    };
    const onInt = (): void => {
      off();
      resume(Effect.succeed("SIGINT"));
    };
    const onTerm = (): void => {
      off();
      resume(Effect.succeed("SIGTERM"));
    };
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    return Effect.sync(off);
  });
}
