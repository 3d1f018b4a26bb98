/**
 * Turning what the user typed into an endpoint input: `--image` files become data URIs, and the
 * endpoint's own validator runs before anything is sent, each issue named by its flag.
 */
import { resolve } from "node:path";
import { checkInput, toImageUrl, ValidationError, type InputIssue } from "@fluxkit/queue";
import { imageFileToDataUri } from "@fluxkit/queue/node";
import type { RegisteredEndpoint } from "./endpoints.js";
import { usageError } from "./exit-codes.js";

const isUrlLike = (value: string) => /^(https?:|data:)/i.test(value);

/**
 * An `image_url` value: an http(s) URL passes, a data URI is checked, anything else is read
 * as a file path (relative to `baseDir`) and becomes a data URI after size and type checks.
 */
export async function resolveImage(value: string, where: string, baseDir: string): Promise<string> {
  try {
    if (isUrlLike(value)) return await toImageUrl(value);
    return await imageFileToDataUri(resolve(baseDir, value));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw usageError(`${where}: no file at ${resolve(baseDir, value)}. Give an image file path, an http(s) URL or a data URI.`);
    if (code === "EACCES") throw usageError(`${where}: cannot read ${resolve(baseDir, value)} (permission denied).`);
    if (error instanceof ValidationError) throw usageError(`${where}: ${error.message}`);
    throw error;
  }
}

/** `num_images` → `--num-images`; `loras.0.scale` → `--loras (loras.0.scale)`. */
export function flagForPath(endpoint: RegisteredEndpoint, path: string): string {
  if (path === "") return "input";
  const [field = "", ...rest] = path.split(".");
  const flag = endpoint.flags.find((f) => f.field === field)?.flag ?? field.replaceAll("_", "-");
  return rest.length === 0 ? `--${flag}` : `--${flag} (${path})`;
}

export function describeIssues(issues: readonly InputIssue[], name: (path: string) => string): string[] {
  return issues.map((issue) => `${name(issue.path)}: ${issue.keyword === "required" ? "is required" : issue.message}`);
}

/**
 * Every way the assembled input breaks the endpoint's schema (unknown fields included), each
 * named by its flag; exactly the check the queue runs before sending. Fields in `skip` already
 * have a problem reported (a flag that did not parse), so the schema's complaint about them
 * (often "is required") would only repeat it.
 */
export function inputProblems(endpoint: RegisteredEndpoint, input: Record<string, unknown>, skip: ReadonlySet<string> = new Set()): string[] {
  const { issues } = checkInput(endpoint.endpoint, input);
  const relevant = issues.filter((issue) => !skip.has(issue.path.split(".")[0] ?? ""));
  return describeIssues(relevant, (path) => flagForPath(endpoint, path));
}
