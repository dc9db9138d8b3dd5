import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCli } from "./cli.ts";
import { parseProperties } from "./properties.ts";
import { ConfigError, envNameToProperty } from "./resolve.ts";

describe("properties files", () => {
  test("reads comments, separators, escapes and continuation lines", () => {
    const props = parseProperties(
      "# comment\n! also a comment\nlog.dirs=/tmp/a\nnum.partitions : 3\nlisteners PLAINTEXT://h:1\nmulti=a\\\n  b\nesc=x\\ty\\u0041\n",
    );
    expect(props.get("log.dirs")).toBe("/tmp/a");
    expect(props.get("num.partitions")).toBe("3");
    expect(props.get("listeners")).toBe("PLAINTEXT://h:1");
    expect(props.get("multi")).toBe("ab");
    expect(props.get("esc")).toBe("x\tyA");
  });
});

describe("environment names", () => {
  test("follow the container convention", () => {
    expect(envNameToProperty("KAFKA_LOG_DIRS")).toBe("log.dirs");
    expect(envNameToProperty("KAFKA_A__B___C")).toBe("a_b-c");
    expect(envNameToProperty("PATH")).toBeNull();
  });
});

describe("precedence flag > env > file > default", () => {
  const dir = mkdtempSync(join(tmpdir(), "eddy-config-"));
  const file = join(dir, "server.properties");
  writeFileSync(
    file,
    "log.dirs=/from/file\nnum.partitions=4\nlog.retention.hours=1\nzookeeper.connect=x:2181\n",
  );

  test("defaults are Kafka's", () => {
    const { config } = parseCli([], {});
    expect(config.listener).toEqual({ name: "PLAINTEXT", host: "127.0.0.1", port: 9092 });
    expect(config.dataDir).toBe("./data");
    expect(config.storageEngine).toBe("fs");
    expect(config.retentionMs).toBe(168 * 3_600_000);
    expect(config.segmentBytesMax).toBe(1_073_741_824);
    expect(config.partitionCountDefault).toBe(1);
    expect(config.autoCreateTopicsEnable).toBe(true);
    expect(config.flushIntervalMessages).toBe(Number.POSITIVE_INFINITY);
  });

  test("file beats default, env beats file, flag beats env", () => {
    expect(parseCli(["--config", file], {}).config.dataDir).toBe("/from/file");
    expect(parseCli(["--config", file], { KAFKA_LOG_DIRS: "/from/env" }).config.dataDir).toBe("/from/env");
    const both = parseCli(["--config", file, "--data-dir", "/from/flag"], { KAFKA_LOG_DIRS: "/from/env" });
    expect(both.config.dataDir).toBe("/from/flag");
    expect(both.resolved.entries.get("log.dirs")?.source).toBe("flag");
    expect(parseCli(["--config", file], {}).config.retentionMs).toBe(3_600_000);
    expect(parseCli(["--config", file], {}).config.partitionCountDefault).toBe(4);
  });

  test("--override uses Kafka names and wins over env", () => {
    const r = parseCli(["--override", "num.partitions=7"], { KAFKA_NUM_PARTITIONS: "2" });
    expect(r.config.partitionCountDefault).toBe(7);
    expect(parseCli(["--override", "log.retention.ms=5"], {}).config.retentionMs).toBe(5);
  });

  test("--host and --port edit the listener", () => {
    const r = parseCli(["--host", "0.0.0.0", "--port", "19092"], {});
    expect(r.config.listener).toEqual({ name: "PLAINTEXT", host: "0.0.0.0", port: 19092 });
    expect(r.config.advertised.host).toBe("127.0.0.1");
    expect(
      parseCli(["--port", "1234"], { KAFKA_LISTENERS: "PLAINTEXT://10.0.0.1:9" }).config.listener.host,
    ).toBe("10.0.0.1");
  });

  test("unknown and malformed options are clear errors", () => {
    expect(() => parseCli(["--bogus"], {})).toThrow(ConfigError);
    expect(() => parseCli(["--port", "abc"], {})).toThrow(/--port expects a number/);
    expect(() => parseCli(["--storage", "tape"], {})).toThrow(/expected one of fs, memory/);
    expect(() => parseCli(["--override", "num.partitions=x"], {})).toThrow(/expected an integer/);
    expect(() => parseCli(["--override", "no.such.key=1"], {})).toThrow(/unknown property "no.such.key"/);
    expect(() => parseCli(["--override", "novalue"], {})).toThrow(/KEY=VALUE/);
    expect(() => parseCli(["--config", join(dir, "missing")], {})).toThrow(/cannot read/);
    expect(() => parseCli([], { KAFKA_NUM_PARTITIONS: "0" })).toThrow(
      /KAFKA_NUM_PARTITIONS: num.partitions must be at least 1/,
    );
  });

  test("unknown KAFKA_ variables are notices, not failures", () => {
    const r = parseCli([], { KAFKA_SOMETHING_ELSE: "1", KAFKA_HEAP_OPTS: "-Xmx1G" });
    expect(r.resolved.notices.some((n) => n.includes("KAFKA_SOMETHING_ELSE"))).toBe(true);
  });

  test("the product's container environment works as Kafka's image reads it", () => {
    const r = parseCli([], {
      KAFKA_BROKER_ID: "0",
      KAFKA_ZOOKEEPER_CONNECT: "10.31.154.242:2181",
      KAFKA_ADVERTISED_LISTENERS: "PLAINTEXT://10.31.154.242:9092",
      KAFKA_LISTENERS: "PLAINTEXT://0.0.0.0:9092",
    });
    expect(r.config.nodeId).toBe(0);
    expect(r.config.listener).toEqual({ name: "PLAINTEXT", host: "0.0.0.0", port: 9092 });
    expect(r.config.advertised).toEqual({ name: "PLAINTEXT", host: "10.31.154.242", port: 9092 });
    expect(r.resolved.notices.some((n) => n.includes("zookeeper.connect"))).toBe(true);
  });

  test("a real server.properties with ZooKeeper keys still loads", () => {
    const r = parseCli(["--config", file], {});
    expect(r.resolved.notices.some((n) => n.includes("zookeeper.connect"))).toBe(true);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));
});
