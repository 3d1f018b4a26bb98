/**
 * Reading a batch file: one input per line (a JSON object, or a JSON string as the prompt),
 * blank lines skipped. Every line is parsed and validated before anything is sent, and each
 * problem is reported with its line number.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { checkInput } from "@fluxkit/queue";
import type { RegisteredEndpoint } from "./endpoints.js";
import { CliError, ExitCode, usageError } from "./exit-codes.js";
import { describeIssues, resolveImage } from "./input.js";

export interface BatchLine {
  /** 1-based line number in the file. */
  readonly line: number;
  /** sha256 of the line's text: tells a resumed run whether the line changed. */
  readonly hash: string;
  readonly input: Record<string, unknown>;
}

export interface InvalidLine {
  readonly line: number;
  readonly problem: string;
}

function kindOf(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

export async function readBatchFile(file: string, endpoint: RegisteredEndpoint): Promise<{ lines: BatchLine[]; invalid: InvalidLine[] }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`flux batch: cannot read ${file} (${code ?? (error as Error).message}). Give a JSONL file: one input object per line.`, ExitCode.usage);
  }
  const lines: BatchLine[] = [];
  const invalid: InvalidLine[] = [];
  const baseDir = dirname(resolve(file));
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = index + 1;
    if (raw.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      invalid.push({ line, problem: `not valid JSON (${(error as Error).message})` });
      continue;
    }
    if (typeof value === "string") value = { prompt: value };
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      invalid.push({ line, problem: `expected an input object like {"prompt": "…"} (or a JSON string as the prompt), got ${kindOf(value)}` });
      continue;
    }
    const input = { ...(value as Record<string, unknown>) };
    if (typeof input.image_url === "string") {
      try {
        // Relative paths are read from the batch file's directory.
        input.image_url = await resolveImage(input.image_url, "image_url", baseDir);
      } catch (error) {
        invalid.push({ line, problem: (error as Error).message });
        continue;
      }
    }
    // The check the queue runs before sending, unknown fields included.
    const { issues } = checkInput(endpoint.endpoint, input);
    if (issues.length > 0) {
      invalid.push({ line, problem: describeIssues(issues, (path) => (path === "" ? "input" : path)).join("; ") });
      continue;
    }
    lines.push({ line, hash: createHash("sha256").update(raw).digest("hex"), input });
  }
  if (lines.length === 0 && invalid.length === 0)
    throw usageError(`flux batch: ${file} holds no inputs. Put one JSON input per line, e.g. {"prompt": "a fox"}.`);
  return { lines, invalid };
}
