/**
 * Captures record batches exactly as a real client (kcat, librdkafka) writes them, for the golden
 * tests: one Produce per codec against the fake broker of ../records-kcat-broker.ts, saved as hex in
 * kcat-batches.json beside this file. A dev tool (`bun test/records-golden/capture-kcat.ts`), not a test.
 */

import { runKcat, startFakeBroker } from "../records-kcat-broker.ts";

const codecs = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
// -Z makes kcat send empty keys and values as null; the long value makes every codec worth applying
// (librdkafka sends a batch uncompressed when compression would not shrink it).
const messages = `k1:hello\n:no key here\nk3:\nk4:${"compressible ".repeat(40)}\n`;

const broker = startFakeBroker();
const result: Record<string, string> = {};
try {
  for (const codec of codecs) {
    broker.produced.length = 0;
    await runKcat(
      broker,
      [
        "-P",
        "-t",
        "t",
        "-p",
        "0",
        "-X",
        "linger.ms=200",
        "-K:",
        "-Z",
        "-H",
        "h1=x",
        "-H",
        "h2=",
        "-z",
        codec,
      ],
      messages,
    );
    if (broker.produced.length !== 1)
      throw new Error(`${codec}: captured ${broker.produced.length} partitions`);
    result[codec] = Buffer.from(broker.produced[0]!).toString("hex");
    console.log(codec, broker.produced[0]!.length, "bytes");
  }
} finally {
  broker.stop();
}
await Bun.write(new URL("./kcat-batches.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
