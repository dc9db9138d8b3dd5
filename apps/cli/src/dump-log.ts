/**
 * `eddy dump-log FILE...`: storage-fs's `dumpSegment` (what `bun run dump-log` prints, like Kafka's
 * kafka-dump-log.sh) under `eddy`, on segment files of this machine. Owns only choosing text or JSON
 * and counting the files done. Must never connect to a broker nor write to the files it reads.
 */
import { dumpSegment } from "@eddy/storage-fs";
import { KafkaError } from "./admin.ts";
import { Progress } from "./progress.ts";

export interface DumpedFile {
  readonly file: string;
  readonly lines: readonly string[];
}

export function dumpLogs(files: readonly string[], indexes: boolean): DumpedFile[] {
  const progress = new Progress("dumped files");
  try {
    return files.map((file) => {
      let lines: readonly string[];
      try {
        lines = dumpSegment(file, { indexes });
      } catch (error) {
        throw new KafkaError(
          `cannot dump ${file}: ${(error as Error).message}; give a segment's .log, .index or .timeindex (they live in <log.dirs>/<topic>-<partition>/)`,
        );
      }
      progress.add(1);
      return { file, lines };
    });
  } finally {
    progress.done();
  }
}
