/**
 * The KRaft cluster settings of a node, read and checked with Kafka's names, meanings and rules:
 * `process.roles`, `controller.quorum.voters`, `listeners` and `advertised.listeners` (several named
 * listeners), `controller.listener.names` and `listener.security.protocol.map`.
 *
 * Owns parsing these texts and the cross-key rules Kafka's `KafkaConfig.validateValues` applies to them
 * (a controller must be a voter and have a controller listener; a broker-only node must not be a voter
 * and must not listen on a controller listener; advertised names are a subset of the listeners; ...).
 * It never opens a socket: the broker binds every listener with its security protocol (PLAINTEXT,
 * SSL, SASL_PLAINTEXT or SASL_SSL, whose SASL and TLS settings `sasl-settings.ts` and
 * `ssl-settings.ts` read) and otherwise only validates and
 * exposes these settings until the cluster is built (issue 12). Every problem is a `ConfigError`
 * naming the property.
 *
 * One rule is Eddy's own: with no `controller.quorum.voters` the node is the cluster of one it has
 * always been (its own controller, no controller listener needed), so `bun run broker` with no flags
 * keeps working; such a node must then hold both roles, because a lone broker or a lone controller
 * has nobody to talk to.
 */
import { ConfigError } from "./resolve.ts";

export type ProcessRole = "broker" | "controller";

export interface Listener {
  /** The listener name, upper-cased as Kafka normalises it (`PLAINTEXT`, `CONTROLLER`). */
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** One entry of `controller.quorum.voters`: `id@host:port`. */
export interface QuorumVoter {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export interface ClusterSettings {
  readonly processRoles: readonly ProcessRole[];
  /** Empty for a cluster of one (no `controller.quorum.voters`). */
  readonly quorumVoters: readonly QuorumVoter[];
  readonly listeners: readonly Listener[];
  /** `advertised.listeners`, or `listeners` when unset, without the controller listeners (as Kafka). */
  readonly advertisedListeners: readonly Listener[];
  readonly controllerListenerNames: readonly string[];
  /**
   * The client listener: the first one that is not a controller listener (the first of all if none);
   * `--host`/`--port` edit it and the node registers its advertised address.
   */
  readonly clientListener: Listener;
  /** The security protocol of each listener (`PLAINTEXT`, `SSL`, `SASL_PLAINTEXT`, `SASL_SSL`), by listener name. */
  readonly securityProtocols: ReadonlyMap<string, string>;
}

/** Bounds every list read here: a config with more entries than this is a mistake, not a cluster. */
export const listEntriesMax = 1_000;
/** The largest node id Kafka accepts (a Java int). */
const nodeIdMax = 2_147_483_647;

/** Kafka's default `listener.security.protocol.map`: each protocol name maps to itself. */
const defaultSecurityProtocols: ReadonlyMap<string, string> = new Map([
  ["PLAINTEXT", "PLAINTEXT"],
  ["SSL", "SSL"],
  ["SASL_PLAINTEXT", "SASL_PLAINTEXT"],
  ["SASL_SSL", "SASL_SSL"],
]);
const securityProtocols: ReadonlySet<string> = new Set(defaultSecurityProtocols.keys());

/** Splits a comma-separated list as Kafka does: entries trimmed, empty entries dropped, bounded. */
export function splitList(text: string, key: string): string[] {
  const items = text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  if (items.length > listEntriesMax) throw new ConfigError(`${key} has more than ${listEntriesMax} entries`);
  return items;
}

/** Reads `host:port` where host may be empty (all interfaces) or a bracketed IPv6 address. */
function hostPort(text: string, key: string, entry: string): { host: string; port: number } {
  const match = /^(\[[^\]]*\]|[^:[\]]*):(\d{1,5})$/.exec(text);
  if (match === null) throw new ConfigError(`${key}: "${entry}" must end in host:port`);
  const port = Number(match[2]);
  if (port > 65_535) throw new ConfigError(`${key}: "${entry}" has port ${port}, expected 0..65535`);
  const rawHost = match[1] ?? "";
  return { host: rawHost.startsWith("[") ? rawHost.slice(1, -1) : rawHost, port };
}

/** Parses one `NAME://host:port`; an empty host means every interface, as in Kafka. */
export function parseListener(text: string, key: string): Listener {
  const entry = text.trim();
  const match = /^([A-Za-z0-9_]+):\/\/(.*)$/.exec(entry);
  if (match === null) throw new ConfigError(`${key} must look like PLAINTEXT://host:port, got "${entry}"`);
  const { host, port } = hostPort(match[2] ?? "", key, entry);
  return { name: (match[1] ?? "").toUpperCase(), host: host === "" ? "0.0.0.0" : host, port };
}

/**
 * Parses a listener list. Names must differ, and so must ports when `distinctPorts` (Kafka asks it of
 * `listeners`, where two listeners on one port cannot both bind; port 0 lets the OS pick, so it may repeat).
 */
export function parseListeners(text: string, key: string, distinctPorts: boolean): Listener[] {
  const listeners = splitList(text, key).map((entry) => parseListener(entry, key));
  if (listeners.length === 0) throw new ConfigError(`${key} must name at least one listener`);
  const names = new Set<string>();
  const ports = new Set<number>();
  for (const l of listeners) {
    if (names.has(l.name))
      throw new ConfigError(`${key}: each listener must have a different name, ${l.name} repeats`);
    names.add(l.name);
    if (!distinctPorts || l.port === 0) continue;
    if (ports.has(l.port))
      throw new ConfigError(`${key}: each listener must have a different port, ${l.port} repeats`);
    ports.add(l.port);
  }
  return listeners;
}

/** Parses `process.roles`: `broker`, `controller`, or both, each at most once. */
export function parseProcessRoles(text: string): ProcessRole[] {
  const roles: ProcessRole[] = [];
  for (const role of splitList(text, "process.roles")) {
    if (role !== "broker" && role !== "controller") {
      throw new ConfigError(`process.roles: unknown role "${role}", expected broker, controller or both`);
    }
    if (roles.includes(role)) throw new ConfigError(`process.roles: duplicate role "${role}"`);
    roles.push(role);
  }
  if (roles.length === 0) throw new ConfigError("process.roles must name broker, controller or both");
  return roles;
}

/** Parses `controller.quorum.voters` (`id@host:port,...`); ids must be unique. */
export function parseQuorumVoters(text: string): QuorumVoter[] {
  const key = "controller.quorum.voters";
  const voters: QuorumVoter[] = [];
  for (const entry of splitList(text, key)) {
    const match = /^(\d{1,10})@(.+)$/.exec(entry);
    if (match === null) {
      throw new ConfigError(`${key}: "${entry}" must be of the form {id}@{host}:{port}`);
    }
    const nodeId = Number(match[1]);
    if (nodeId > nodeIdMax)
      throw new ConfigError(`${key}: "${entry}" has node id ${nodeId}, above ${nodeIdMax}`);
    const { host, port } = hostPort(match[2] ?? "", key, entry);
    // Unlike a listener, a voter is an address to connect to: neither "any interface" nor "any port" names one.
    if (host === "") throw new ConfigError(`${key}: "${entry}" has no host`);
    if (port === 0) throw new ConfigError(`${key}: "${entry}" has port 0, which no peer can connect to`);
    if (voters.some((v) => v.nodeId === nodeId))
      throw new ConfigError(`${key}: voter id ${nodeId} appears twice`);
    voters.push({ nodeId, host, port });
  }
  return voters;
}

/**
 * Parses `listener.security.protocol.map` (`NAME:PROTOCOL,...`). Unset, it is Kafka's default map,
 * plus each controller listener name as PLAINTEXT (Kafka does the same so a KRaft config needs no map).
 */
export function parseSecurityProtocolMap(
  text: string | null,
  controllerListenerNames: readonly string[],
): Map<string, string> {
  const key = "listener.security.protocol.map";
  if (text === null) {
    const map = new Map(defaultSecurityProtocols);
    for (const name of controllerListenerNames) if (!map.has(name)) map.set(name, "PLAINTEXT");
    return map;
  }
  const map = new Map<string, string>();
  for (const entry of splitList(text, key)) {
    const match = /^([A-Za-z0-9_]+):([A-Za-z_]+)$/.exec(entry);
    if (match === null) throw new ConfigError(`${key}: "${entry}" must be of the form NAME:PROTOCOL`);
    const name = match[1]!.toUpperCase();
    const protocol = match[2]!.toUpperCase();
    if (!securityProtocols.has(protocol)) {
      throw new ConfigError(`${key}: "${entry}" names unknown security protocol ${protocol}`);
    }
    if (map.has(name)) throw new ConfigError(`${key}: listener ${name} is mapped twice`);
    map.set(name, protocol);
  }
  return map;
}

export interface ClusterSettingsTexts {
  readonly nodeId: number;
  readonly processRoles: string;
  readonly quorumVoters: string | null;
  readonly listeners: string;
  readonly advertisedListeners: string | null;
  readonly controllerListenerNames: string | null;
  readonly securityProtocolMap: string | null;
}

/** Parses the cluster settings and applies Kafka's rules between them (see the module header). */
export function toClusterSettings(texts: ClusterSettingsTexts): ClusterSettings {
  const { nodeId } = texts;
  const processRoles = parseProcessRoles(texts.processRoles);
  const quorumVoters = texts.quorumVoters === null ? [] : parseQuorumVoters(texts.quorumVoters);
  const listeners = parseListeners(texts.listeners, "listeners", true);
  const controllerListenerNames = [
    ...new Set(
      texts.controllerListenerNames === null
        ? []
        : splitList(texts.controllerListenerNames, "controller.listener.names").map((n) => n.toUpperCase()),
    ),
  ];
  const isBroker = processRoles.includes("broker");
  const isController = processRoles.includes("controller");
  const voterIds = `controller.quorum.voters=${quorumVoters.map((v) => v.nodeId).join(",") || "(empty)"}`;

  if (quorumVoters.length === 0) {
    if (!(isBroker && isController)) {
      throw new ConfigError(
        `process.roles=${processRoles.join(",")} needs controller.quorum.voters (id@host:port,...): only a ` +
          "node with both roles (broker,controller) runs alone as a cluster of one",
      );
    }
  } else {
    if (isController && !quorumVoters.some((v) => v.nodeId === nodeId)) {
      throw new ConfigError(
        `If process.roles contains the 'controller' role, the node id ${nodeId} must be included in the set of voters ${voterIds}`,
      );
    }
    if (!isController && quorumVoters.some((v) => v.nodeId === nodeId)) {
      throw new ConfigError(
        `If process.roles contains just the 'broker' role, the node id ${nodeId} must not be included in the set of voters ${voterIds}`,
      );
    }
    if (controllerListenerNames.length === 0) {
      throw new ConfigError("controller.listener.names must name the controller listener (e.g. CONTROLLER)");
    }
  }

  const listenerNames = new Set(listeners.map((l) => l.name));
  const controllerListeners = listeners.filter((l) => controllerListenerNames.includes(l.name));
  if (isController && quorumVoters.length > 0) {
    if (controllerListeners.length === 0) {
      throw new ConfigError(
        "controller.listener.names must contain at least one value appearing in the 'listeners' configuration when running the KRaft controller role",
      );
    }
    if (!controllerListenerNames.every((n) => listenerNames.has(n))) {
      throw new ConfigError(
        "controller.listener.names must only contain values appearing in the 'listeners' configuration when running the KRaft controller role",
      );
    }
  }
  if (isBroker && !isController && controllerListeners.length > 0) {
    throw new ConfigError(
      "controller.listener.names must not contain a value appearing in the 'listeners' configuration when running KRaft with just the broker role",
    );
  }
  if (!isBroker) {
    if (texts.advertisedListeners !== null) {
      throw new ConfigError("The advertised.listeners config must be empty when process.roles=controller");
    }
    if (controllerListeners.length !== listeners.length) {
      throw new ConfigError(
        "The listeners config must only contain KRaft controller listeners from controller.listener.names when process.roles=controller",
      );
    }
  }

  const protocols = parseSecurityProtocolMap(texts.securityProtocolMap, controllerListenerNames);
  for (const l of listeners) {
    const protocol = protocols.get(l.name);
    if (protocol === undefined) {
      throw new ConfigError(
        `listeners: no security protocol defined for listener ${l.name} (add it to listener.security.protocol.map)`,
      );
    }
    if (
      (protocol === "SASL_PLAINTEXT" || protocol === "SASL_SSL") &&
      controllerListenerNames.includes(l.name)
    ) {
      throw new ConfigError(
        `listeners: controller listener ${l.name} uses ${protocol}; Eddy serves SASL on client listeners only`,
      );
    }
  }
  const securityProtocols = new Map(listeners.map((l) => [l.name, protocols.get(l.name)!]));

  const advertisedAll =
    texts.advertisedListeners === null
      ? listeners
      : parseListeners(texts.advertisedListeners, "advertised.listeners", false);
  if (isBroker) {
    const strays = advertisedAll.filter((l) => !listenerNames.has(l.name)).map((l) => l.name);
    if (strays.length > 0) {
      throw new ConfigError(
        `advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found ${strays.join(",")}; the valid options are ${[...listenerNames].join(",")}`,
      );
    }
    if (
      texts.advertisedListeners !== null &&
      advertisedAll.some((l) => controllerListenerNames.includes(l.name))
    ) {
      throw new ConfigError(
        "The advertised.listeners config must not contain KRaft controller listeners from controller.listener.names when process.roles contains the broker role: clients only send requests to brokers",
      );
    }
  }
  const advertisedListeners = advertisedAll.filter((l) => !controllerListenerNames.includes(l.name));
  if (isBroker && advertisedListeners.length === 0) {
    throw new ConfigError(
      "There must be at least one broker advertised listener. Perhaps all listeners appear in controller.listener.names?",
    );
  }
  const clientListener = listeners.find((l) => !controllerListenerNames.includes(l.name)) ?? listeners[0]!;
  return {
    processRoles,
    quorumVoters,
    listeners,
    advertisedListeners,
    controllerListenerNames,
    clientListener,
    securityProtocols,
  };
}
