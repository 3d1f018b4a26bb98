/**
 * Repair: make vendor YAML that does not parse, parse — without changing its meaning or
 * moving any line.
 *
 * The one breakage seen in Apifox exports is a plain (unquoted) scalar holding ": ", e.g.
 * `description: Range value: 1-50`, which YAML reads as a nested mapping. The fix quotes the
 * value on that same line. Only lines the parser complains about are touched, and every
 * change is reported. Anything else is not guessed at: it fails with file:line and the
 * parser's own message.
 */
import { parseDocument, type Document } from "yaml";

export interface Repair {
  /** 1-based line in the source file. */
  line: number;
  before: string;
  after: string;
}

export interface RepairResult {
  text: string;
  document: Document;
  repairs: Repair[];
}

export class RepairError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly parserMessage: string,
  ) {
    super(`${file}:${line}: YAML does not parse and cannot be repaired safely: ${parserMessage}`);
    this.name = "RepairError";
  }
}

// `  key: value` where value is a plain scalar (not quoted, not a block/flow/anchor/tag/alias).
const PLAIN_KEY_VALUE = /^(\s*(?:-\s+)?[^\s#'"{}[\]][^:#]*?:\s+)([^'"|>{}[\]&*!#\s].*?)\s*$/;

function parse(text: string): Document {
  return parseDocument(text, { prettyErrors: false, uniqueKeys: true });
}

/** Quote a plain scalar as a YAML single-quoted string, which keeps its value exactly. */
function quotePlain(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function errorLine(text: string, offset: number): number {
  return text.slice(0, offset).split("\n").length;
}

/**
 * @param file      name used in messages
 * @param text      the YAML text
 * @param firstLine line in `file` where `text` starts (for fenced blocks)
 */
export function repairYaml(file: string, text: string, firstLine = 1): RepairResult {
  const lines = text.split("\n");
  const repairs: Repair[] = [];
  // Each pass fixes every line the parser names; a pass that fixes nothing ends the loop.
  for (let pass = 0; pass < 50; pass++) {
    const current = lines.join("\n");
    const document = parse(current);
    if (document.errors.length === 0) return { text: current, document, repairs };
    const badLines = [...new Set(document.errors.map((e) => errorLine(current, e.pos[0])))];
    let fixed = 0;
    for (const lineNo of badLines) {
      const original = lines[lineNo - 1];
      if (original === undefined) continue;
      const match = PLAIN_KEY_VALUE.exec(original);
      if (!match || !match[2]!.includes(": ")) continue;
      const after = `${match[1]}${quotePlain(match[2]!)}`;
      lines[lineNo - 1] = after;
      repairs.push({ line: firstLine + lineNo - 1, before: original.trim(), after: after.trim() });
      fixed++;
    }
    if (fixed === 0) {
      const first = document.errors[0]!;
      const line = errorLine(current, first.pos[0]);
      throw new RepairError(file, firstLine + line - 1, `${first.code}: ${first.message.split("\n")[0]}`);
    }
  }
  throw new RepairError(file, firstLine, "gave up after 50 repair passes");
}

export function formatRepair(file: string, repair: Repair): string {
  return `${file}:${repair.line}: ${repair.before}  →  ${repair.after}`;
}
