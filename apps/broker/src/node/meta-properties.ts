/**
 * Kafka's `meta.properties` in the data directory: the cluster id and node id a data directory
 * belongs to. Starting a node on a directory of another node or cluster is refused, as Kafka does,
 * because mixing their logs would lose data. A file whose fields do not decode is refused too, naming
 * the file and the field, and is never rewritten: guessing a node or cluster id could do the same harm.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeStoredValue, storageError } from "@eddy/storage";
import { PropertiesSyntaxError, parseProperties } from "../config/properties.ts";
import { MetaProperties } from "./meta-properties-schema.ts";

export function newClusterId(): string {
  return randomBytes(16).toString("base64url");
}

/** Reads or creates `meta.properties`; returns the cluster id. */
export function ensureMetaProperties(dataDir: string, nodeId: number): string {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, "meta.properties");
  if (existsSync(path)) {
    const source = `meta.properties ${path}`;
    let props: Map<string, string>;
    try {
      props = parseProperties(readFileSync(path, "utf8"));
    } catch (error) {
      if (error instanceof PropertiesSyntaxError) throw storageError("Corrupt", source, error.message);
      throw error;
    }
    const stored = decodeStoredValue(MetaProperties, source, Object.fromEntries(props));
    const storedNode = stored["node.id"];
    const clusterId = stored["cluster.id"];
    if (storedNode !== nodeId) {
      throw new Error(
        `${dataDir} belongs to node ${storedNode}, not node ${nodeId}; use --node-id ${storedNode}`,
      );
    }
    return clusterId;
  }
  const clusterId = newClusterId();
  const text = `#\n#Written by Eddy\nversion=1\nnode.id=${nodeId}\ncluster.id=${clusterId}\n`;
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
  return clusterId;
}
