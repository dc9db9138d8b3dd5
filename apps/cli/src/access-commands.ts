/**
 * What `eddy acls ...` and `eddy users ...` print: a table for people, or with `--output json` one
 * JSON document (an array of bindings or credentials, or `{created|deleted|altered: [...]}`) that
 * scripts parse back. Owns only that shape (the README documents it); the requests are `acls.ts`'s
 * and `users.ts`'s. Must never print a password, a salt or a key.
 */

import type { AclBinding } from "./acls.ts";
import { createAcls, deleteAcls, listAcls } from "./acls.ts";
import type { Admin } from "./admin.ts";
import type { Command } from "./args.ts";
import { table } from "./table.ts";
import { alterUser, deleteUser, describeUsers, passwordFrom, type UserCredential } from "./users.ts";

type AccessCommand = Extract<Command, { kind: `acls ${string}` | `users ${string}` }>;

const json = (value: unknown): string => JSON.stringify(value, null, 2);

function aclTable(bindings: readonly AclBinding[]): string {
  return table(
    ["PRINCIPAL", "HOST", "OPERATION", "PERMISSION", "RESOURCE-TYPE", "RESOURCE-NAME", "PATTERN-TYPE"],
    bindings.map((b) => [
      b.principal,
      b.host,
      b.operation,
      b.permission,
      b.resourceType,
      b.resourceName,
      b.patternType,
    ]),
  );
}

function userTable(credentials: readonly UserCredential[]): string {
  return table(
    ["USER", "MECHANISM", "ITERATIONS"],
    credentials.map((c) => [c.user, c.mechanism, String(c.iterations)]),
  );
}

/** Reads stdin whole (the password line); only `users alter` without --password calls it. */
const readStdin = (): Promise<string> => Bun.stdin.text();

export async function runAccessCommand(
  admin: Admin,
  command: AccessCommand,
  output: "text" | "json",
): Promise<string> {
  switch (command.kind) {
    case "acls list": {
      const bindings = await listAcls(admin, command.filter);
      if (output === "json") return json(bindings);
      return bindings.length === 0 ? "No ACL matches." : aclTable(bindings);
    }
    case "acls create": {
      const created = await createAcls(admin, command.bindings);
      if (output === "json") return json({ created });
      return `Created ${created.length} ACL${created.length === 1 ? "" : "s"}:\n${aclTable(created)}`;
    }
    case "acls delete": {
      const deleted = await deleteAcls(admin, command.filter);
      if (output === "json") return json({ deleted });
      if (deleted.length === 0) return "No ACL matched; nothing deleted.";
      return `Deleted ${deleted.length} ACL${deleted.length === 1 ? "" : "s"}:\n${aclTable(deleted)}`;
    }
    case "users list":
    case "users describe": {
      const credentials = await describeUsers(admin, command.kind === "users list" ? null : [command.user]);
      if (output === "json") return json(credentials);
      return credentials.length === 0 ? "No user has a SCRAM credential." : userTable(credentials);
    }
    case "users alter": {
      const password = await passwordFrom(command.password, readStdin);
      const altered = await alterUser(admin, command.user, command.mechanism, command.iterations, password);
      if (output === "json") return json({ altered: [altered] });
      return `Set the ${altered.mechanism} credential of '${altered.user}' (${altered.iterations} iterations).`;
    }
    case "users delete": {
      const deleted = await deleteUser(admin, command.user, command.mechanism);
      if (output === "json") return json({ deleted });
      return `Deleted the ${deleted.map((c) => c.mechanism).join(" and ")} credential${deleted.length === 1 ? "" : "s"} of '${command.user}'.`;
    }
  }
}
