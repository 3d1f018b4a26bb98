import type { JsonObject } from "../../json.js";
import { FileError } from "../../file-error.js";

/** What a rule may use besides the document: where it came from, and a way to say what it did. */
export interface RuleContext {
  /** Source file, relative to the repo root, for messages. */
  file: string;
  /** Record one change, in words a reviewer understands. */
  report(message: string): void;
}

/** A generic fix that holds for any vendor spec. Rules mutate the document in place. */
export interface Rule {
  name: string;
  apply(doc: JsonObject, ctx: RuleContext): void;
}

export class RuleError extends FileError {
  override name = "RuleError";
  constructor(
    readonly rule: string,
    file: string,
    message: string,
  ) {
    super(file, `[${rule}] ${message}`);
  }
}
