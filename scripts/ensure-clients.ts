/**
 * Makes sure the real Kafka clients that the integration tests drive are on this machine: kcat
 * (librdkafka) and kafka-python for /usr/bin/python3 from Debian, kafkajs and @platformatic/kafka from
 * npm (dev dependencies, so `bun install` brings them). As root with apt-get it installs what is
 * missing; otherwise it fails and names the command to run. It never lets a client test skip.
 * The argument `redis` also requires redis-server, which the broker benchmark (its caller with that
 * argument) uses as its baseline.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

interface Need {
  readonly what: string;
  readonly present: () => boolean;
  readonly aptPackage: string | null;
  readonly fix: string;
}

const root = resolve(import.meta.dir, "..");
const ok = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;

const needs: Need[] = [
  { what: "kcat", present: () => ok("kcat", ["-V"]), aptPackage: "kcat", fix: "apt-get install -y kcat" },
  {
    what: "kafka-python for /usr/bin/python3",
    present: () => ok("/usr/bin/python3", ["-c", "import kafka"]),
    aptPackage: "python3-kafka",
    fix: "apt-get install -y python3-kafka",
  },
  {
    what: "kafkajs",
    present: () => existsSync(join(root, "apps/broker/node_modules/kafkajs/package.json")),
    aptPackage: null,
    fix: "bun install",
  },
  {
    what: "@platformatic/kafka",
    present: () => existsSync(join(root, "apps/broker/node_modules/@platformatic/kafka/package.json")),
    aptPackage: null,
    fix: "bun install",
  },
];
if (process.argv.includes("redis")) {
  needs.push({
    what: "redis-server",
    present: () => ok("redis-server", ["--version"]),
    aptPackage: "redis-server",
    fix: "apt-get install -y redis-server",
  });
}

const missing = needs.filter((n) => !n.present());
const apt = missing.filter((n) => n.aptPackage !== null);
const isRoot = process.getuid?.() === 0;
if (apt.length > 0 && isRoot && ok("apt-get", ["--version"])) {
  const packages = apt.map((n) => n.aptPackage!);
  console.log(`installing ${packages.join(", ")} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  spawnSync("apt-get", ["install", "-y", "-qq", ...packages], { stdio: "inherit", env });
}
const still = needs.filter((n) => !n.present());
if (still.length > 0) {
  console.error("The integration tests need real Kafka clients that are missing:");
  for (const n of still) console.error(`  ${n.what}: run \`${n.fix}\``);
  process.exit(1);
}
console.log(`clients present: ${needs.map((n) => n.what).join(", ")}`);
