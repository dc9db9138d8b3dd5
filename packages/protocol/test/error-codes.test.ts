/**
 * The Kafka error code table: complete (every code from -1 to 133 except the retired 99), unique names
 * and codes, named constants that agree with the table, and a few retriable flags checked against
 * Kafka's documentation.
 */

import { describe, expect, test } from "bun:test";
import {
  ErrorCode,
  errorCodeInfo,
  errorCodeName,
  errorCodeTable,
  isRetriableErrorCode,
} from "../src/index.ts";

describe("error codes", () => {
  test("the table covers -1..133 without 99, with unique names", () => {
    const codes: number[] = errorCodeTable.map((row) => row.code);
    const expected = Array.from({ length: 135 }, (_, i) => i - 1).filter((c) => c !== 99);
    expect(codes).toEqual(expected);
    expect(new Set(errorCodeTable.map((row) => row.name)).size).toBe(errorCodeTable.length);
  });

  test("named constants match the table", () => {
    expect(ErrorCode.NONE).toBe(0);
    expect(ErrorCode.UNKNOWN_SERVER_ERROR).toBe(-1);
    expect(ErrorCode.CORRUPT_MESSAGE).toBe(2);
    expect(ErrorCode.NOT_LEADER_OR_FOLLOWER).toBe(6);
    expect(ErrorCode.UNSUPPORTED_VERSION).toBe(35);
    expect(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT).toBe(43);
    expect(ErrorCode.SHARE_SESSION_LIMIT_REACHED).toBe(133);
    for (const row of errorCodeTable) expect(ErrorCode[row.name]).toBe(row.code);
  });

  test("retriable flags follow Kafka", () => {
    const retriable = [2, 3, 5, 6, 7, 9, 13, 14, 15, 16, 19, 20, 41, 51, 56, 74, 75, 89, 100, 133];
    const notRetriable = [-1, 0, 1, 4, 8, 10, 17, 22, 25, 27, 29, 35, 36, 42, 45, 47, 87, 90, 120, 129];
    for (const code of retriable) expect(isRetriableErrorCode(code)).toBe(true);
    for (const code of notRetriable) expect(isRetriableErrorCode(code)).toBe(false);
  });

  test("lookups by code", () => {
    expect(errorCodeInfo(2)?.message).toContain("CRC");
    expect(errorCodeName(36)).toBe("TOPIC_ALREADY_EXISTS");
    expect(errorCodeInfo(99)).toBeUndefined();
    expect(errorCodeName(9999)).toBe("UNKNOWN_SERVER_ERROR");
    expect(isRetriableErrorCode(9999)).toBe(false);
  });
});
