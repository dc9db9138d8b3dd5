/**
 * Kafka's `meta.properties` in the data directory: the cluster id and node id a data directory
 * belongs to. Owns reading it (through the `MetaProperties` schema), writing it once (the format
 * step, like `kafka-storage format`, or a first start), and the checks a start makes against it.
 *
 * Starting a node on a directory of another node or another cluster is refused, as Kafka does,
 * because mixing their logs would lose data; the refusal happens before anything in the directory
 * is written. A file whose fields do not decode is refused too, naming the file and the field, and
 * is never rewritten: guessing a node or cluster id could do the same harm.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { decodeStoredValue, storageError } from "@eddy/storage";
import { PropertiesSyntaxError, parseProperties } from "../config/properties.ts";
import { MetaProperties } from "./meta-properties-schema.ts";

export const metaPropertiesFileName = "meta.properties";

/** A data directory that belongs to another cluster or node, or a cluster node's directory never formatted. */
export class DataDirRefused extends Error {
  override readonly name = "DataDirRefused";
}

/** A fresh cluster id: a random UUID in base64url without padding, as `kafka-storage random-uuid` prints. */
export function newClusterId(): string {
  return randomBytes(16).toString("base64url");
}

/**
 * Why `text` is not a cluster id, or null. Kafka requires a UUID in base64url (22 characters, 16
 * bytes), so ids copied from a Kafka cluster's `meta.properties` or `kafka-storage random-uuid` work.
 */
export function clusterIdProblem(text: string): string | null {
  if (!/^[A-Za-z0-9_-]{22}$/.test(text)) {
    return `"${text}" is not a cluster id: expected 22 characters of base64url (a UUID, as kafka-storage random-uuid prints)`;
  }
  return null;
}

/** Reads and decodes `meta.properties`, or returns null when the directory has none. */
export function readMetaProperties(dataDir: string): MetaProperties | null {
  const path = join(dataDir, metaPropertiesFileName);
  if (!existsSync(path)) return null;
  const source = `meta.properties ${path}`;
  let props: Map<string, string>;
  try {
    props = parseProperties(readFileSync(path, "utf8"));
  } catch (error) {
    if (error instanceof PropertiesSyntaxError) throw storageError("Corrupt", source, error.message);
    throw error;
  }
  return decodeStoredValue(MetaProperties, source, Object.fromEntries(props));
}

/** Writes `meta.properties` atomically and durably (temporary file, fsync, rename, fsync of the directory). */
function writeMetaProperties(dataDir: string, nodeId: number, clusterId: string): void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, metaPropertiesFileName);
  const text = `#\n#Written by Eddy\nversion=1\nnode.id=${nodeId}\ncluster.id=${clusterId}\n`;
  const fd = openSync(`${path}.tmp`, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(`${path}.tmp`, path);
  const dirFd = openSync(dataDir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export type FormatOutcome = "formatted" | "already-formatted";

/**
 * The format step (`bun run broker -- --format --cluster-id <id>`, Kafka's `kafka-storage format`):
 * writes `meta.properties` for this cluster and node. A directory already formatted is refused, as
 * Kafka does, unless `ignoreFormatted` (Kafka's `--ignore-formatted`) and it holds the same ids; one
 * formatted for another cluster or node is refused either way and left as it is.
 */
export function formatDataDir(
  dataDir: string,
  clusterId: string,
  nodeId: number,
  options: { readonly ignoreFormatted: boolean },
): FormatOutcome {
  const stored = readMetaProperties(dataDir);
  if (stored === null) {
    writeMetaProperties(dataDir, nodeId, clusterId);
    return "formatted";
  }
  const same = stored["cluster.id"] === clusterId && stored["node.id"] === nodeId;
  if (same && options.ignoreFormatted) return "already-formatted";
  throw new DataDirRefused(
    `${dataDir} is already formatted (cluster ${stored["cluster.id"]}, node ${stored["node.id"]})` +
      (same ? "; --ignore-formatted accepts that" : "; nothing was changed"),
  );
}

export interface MetaPropertiesCheck {
  readonly dataDir: string;
  readonly nodeId: number;
  /** `--cluster-id`: the cluster this node must belong to, or null to take what the directory holds. */
  readonly clusterIdExpected: string | null;
  /** True for a node of a cluster (`controller.quorum.voters` set): it must not invent a cluster id. */
  readonly clusterMember: boolean;
}

/**
 * The start-up check: returns the cluster id of the data directory, refusing (before anything is
 * written) one that belongs to another node or cluster. A directory without `meta.properties` is
 * formatted at this first start with `--cluster-id`, or with a fresh id for a cluster of one; a
 * cluster node with neither is refused, since each node inventing its own id would split the cluster.
 */
export function ensureMetaProperties(check: MetaPropertiesCheck): string {
  const { dataDir, nodeId, clusterIdExpected } = check;
  const stored = readMetaProperties(dataDir);
  if (stored !== null) {
    const storedNode = stored["node.id"];
    const storedCluster = stored["cluster.id"];
    if (storedNode !== nodeId) {
      throw new DataDirRefused(
        `${dataDir} belongs to node ${storedNode}, not node ${nodeId}; use --node-id ${storedNode} or another --data-dir`,
      );
    }
    if (clusterIdExpected !== null && storedCluster !== clusterIdExpected) {
      throw new DataDirRefused(
        `${dataDir} belongs to cluster ${storedCluster}, not cluster ${clusterIdExpected} (--cluster-id); ` +
          "a node keeps the cluster its data was written for",
      );
    }
    return storedCluster;
  }
  if (clusterIdExpected === null && check.clusterMember) {
    throw new DataDirRefused(
      `${dataDir} is not formatted: a node of a cluster needs the cluster's id. Run ` +
        "`bun run broker -- --format --cluster-id <id>` with this node's settings, or start it with --cluster-id <id>",
    );
  }
  const clusterId = clusterIdExpected ?? newClusterId();
  writeMetaProperties(dataDir, nodeId, clusterId);
  return clusterId;
}
