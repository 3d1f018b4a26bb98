/**
 * Summarizes a V8 .cpuprofile: self time per function and per file (top N), and inclusive
 * time of named functions, so a missed target names its cause.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  byFunction: { name: string; selfMs: number }[];
  byFile: { file: string; selfMs: number }[];
  inclusive: { name: string; ms: number }[];
}

const shortFile = (url: string) =>
  url
    .replace(/^file:\/\//, "")
    .replace(/.*node_modules\/\.pnpm\/([^/]+)\/node_modules\//, "$1:")
    .replace(/.*\/work\/main\//, "");

export function summarizeProfile(path: string, top = 12, inclusiveOf: string[] = []): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const self = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const [id, ms] of self) {
    const node = byId.get(id)!;
    const where = shortFile(node.callFrame.url) || "(native)";
    const name = `${node.callFrame.functionName || "(anonymous)"} ${where}:${node.callFrame.lineNumber + 1}`;
    fn.set(name, (fn.get(name) ?? 0) + ms);
    const f = where.split(":")[0]!.replace(/\/dist\/.*|\/lib\/.*/, "");
    file.set(f, (file.get(f) ?? 0) + ms);
  }
  // Inclusive time: a sample counts once for a named function if it is on the stack.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>(inclusiveOf.map((n) => [n, 0]));
  for (const [id, ms] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = byId.get(cur)!.callFrame.functionName;
      if (inclusive.has(name) && !seen.has(name)) {
        seen.add(name);
        inclusive.set(name, inclusive.get(name)! + ms);
      }
    }
  }
  const sorted = <K>(m: Map<K, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    totalMs: [...self.values()].reduce((a, b) => a + b, 0),
    byFunction: sorted(fn).map(([name, selfMs]) => ({ name, selfMs })),
    byFile: sorted(file).map(([f, selfMs]) => ({ file: f, selfMs })),
    inclusive: [...inclusive].map(([name, ms]) => ({ name, ms })),
  };
}

if (process.argv[1]?.endsWith("profile-summary.ts") && process.argv[2]) {
  console.log(JSON.stringify(summarizeProfile(process.argv[2], 15, process.argv.slice(3)), null, 1));
}
