/**
 * The group coordinator on this node. Placeholder until the coordinator shell lands: it keeps the
 * broker compiling and ticking.
 */
import type { BrokerConfig } from "../config/broker-config.ts";
import type { Storage } from "./storage.ts";

export class GroupShell {
  static async open(
    _storage: Storage,
    _config: BrokerConfig,
    _log: (line: string) => void,
  ): Promise<GroupShell> {
    return new GroupShell();
  }

  async tick(_nowMs: number): Promise<void> {}
}
