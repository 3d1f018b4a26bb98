/**
 * How an endpoint comparison reads in a terminal, the same for `specs:import`, `pnpm generate`
 * and `specs:diff`: a head line, then one line per change with its bump.
 */
import type { EndpointComparison } from "./endpoint-comparison.js";

export interface ReportOptions {
  /** Prefix of every line (the import report nests endpoints under its file line). */
  readonly indent?: string;
  /** Print each change's kind (`field-added`, …) as well; `specs:diff` does, for review. */
  readonly kinds?: boolean;
  /** What a removed endpoint's head says after its status. */
  readonly removal?: string;
}

export function bumpText(comparison: Pick<EndpointComparison, "bump">): string {
  return comparison.bump === "none" ? "no version bump (nothing users can notice)" : `${comparison.bump} bump`;
}

export function formatComparison(comparison: EndpointComparison, options: ReportOptions = {}): string[] {
  const indent = options.indent ?? "";
  const head = `${indent}${comparison.id} (${comparison.packageName}): ${comparison.status}`;
  if (comparison.status === "unchanged") return [head];
  if (comparison.status === "removed") return [`${head}; ${options.removal ?? bumpText(comparison)}`];
  const lines = [`${head}, ${bumpText(comparison)}`];
  if (comparison.status === "changed") {
    for (const change of comparison.changes) {
      const kind = options.kinds === true ? `${change.kind.padEnd(20)}  ` : "";
      lines.push(`${indent}  ${change.bump.padEnd(5)}  ${kind}${change.path}: ${change.message}`);
    }
  }
  return lines;
}
