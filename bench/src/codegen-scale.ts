/**
 * Codegen at catalogue scale: N synthetic endpoint specs (synth.ts) in a temp repo root;
 * `planOutputs` + `writeOutputs` (normalize + generate + write) timed cold in a fresh process,
 * then again with nothing changed. Baseline: the openapi-typescript CLI once per spec.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { summarizeProfile } from "./profile-summary.js";
import type { Section, Target } from "./report.js";
import { fmt, median } from "./stats.js";
import { REPO_ROOT, synthRepo } from "./synth.js";
import type { BenchContext } from "./run.js";

const run = promisify(execFile);
const WORKER = fileURLToPath(new URL("./codegen-worker.ts", import.meta.url));
const CLI = fileURLToPath(new URL("../node_modules/.bin/openapi-typescript", import.meta.url));

interface WorkerResult {
  coldMs: number;
  coldPlanMs: number;
  coldWriteMs: number;
  noChangeMs: number;
  written: number;
  rewritten: number;
  files: number;
  endpoints: number;
}

async function worker(root: string, extraNodeArgs: string[] = [], scriptsSrc?: string): Promise<WorkerResult> {
  const { stdout } = await run(process.execPath, [...extraNodeArgs, "--import", "tsx", WORKER, root, ...(scriptsSrc ? [scriptsSrc] : [])], {
    maxBuffer: 1 << 26,
    cwd: fileURLToPath(new URL("../", import.meta.url)),
  });
  const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as WorkerResult;
  if (result.rewritten !== 0) throw new Error(`codegen: the no-change run rewrote ${result.rewritten} files in ${root}`);
  return result;
}

/** The openapi-typescript CLI on each of `specs`; ms per spec. */
async function cliPerSpec(specs: string[], outDir: string): Promise<number[]> {
  const times: number[] = [];
  for (const [i, spec] of specs.entries()) {
    const t0 = performance.now();
    await run(CLI, [spec, "-o", join(outDir, `cli-${i}.ts`)], { maxBuffer: 1 << 24 });
    times.push(performance.now() - t0);
  }
  return times;
}

/**
 * The proposed fix to scripts/src/validator-code.ts, measured on a patched copy of scripts/src:
 * check the schema against the 2020-12 meta-schema with one shared Ajv instance, and compile
 * with a fresh instance that skips that check (each `new Ajv()` used to compile the
 * meta-schema again, ~15 ms per endpoint).
 */
async function patchedScripts(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "fluxkit-scripts-patched-"));
  await cp(join(REPO_ROOT, "scripts/src"), join(dir, "src"), { recursive: true });
  await cp(join(REPO_ROOT, "scripts/package.json"), join(dir, "package.json"));
  await symlink(join(REPO_ROOT, "scripts/node_modules"), join(dir, "node_modules"));
  const file = join(dir, "src/validator-code.ts");
  const before = await readFile(file, "utf8");
  const after = before
    .replace(
      "export function compileValidator(schema: JsonObject): string {\n  const Ajv = Ajv2020 as unknown as typeof Ajv2020.default;\n  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true, code: { source: true, esm: true, lines: false } });",
      `let schemaChecker: InstanceType<typeof Ajv2020.default> | undefined;

export function compileValidator(schema: JsonObject): string {
  const Ajv = Ajv2020 as unknown as typeof Ajv2020.default;
  // The meta-schema is compiled once, not once per endpoint.
  schemaChecker ??= new Ajv({ strict: false });
  if (!schemaChecker.validateSchema(schema)) throw new Error(\`Input schema is not valid JSON Schema 2020-12: \${schemaChecker.errorsText()}\`);
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true, validateSchema: false, code: { source: true, esm: true, lines: false } });`,
    );
  if (after === before) throw new Error("scripts/src/validator-code.ts changed: the proposal patch in codegen-scale.ts no longer applies");
  await writeFile(file, after);
  return join(dir, "src");
}

export async function codegenScale(ctx: BenchContext): Promise<Section> {
  const sizes = ctx.quick ? [3, 20] : [3, 100, 500];
  const runs = ctx.quick ? 1 : 3;
  const work = await mkdtemp(join(tmpdir(), "fluxkit-bench-codegen-"));
  const notes: string[] = [];
  try {
    const results = new Map<number, WorkerResult[]>();
    let sampleRoot = "";
    for (let r = 0; r < runs; r++) {
      for (const n of sizes) {
        const root = await synthRepo(n, work);
        results.set(n, [...(results.get(n) ?? []), await worker(root)]);
        if (n === sizes[1]) sampleRoot = root;
        else await rm(root, { recursive: true, force: true });
      }
    }
    // Baseline: the CLI on a handful of the generated normalized specs.
    const normalized = (await readdir(join(sampleRoot, "specs/normalized"))).sort().slice(0, ctx.quick ? 2 : 5);
    const cliOut = join(work, "cli");
    await mkdir(cliOut);
    const cliTimes = await cliPerSpec(normalized.map((f) => join(sampleRoot, "specs/normalized", f)), cliOut);
    const cliMs = median(cliTimes);

    const med = (n: number, f: (r: WorkerResult) => number) => median(results.get(n)!.map(f));
    const rows = sizes.map((n) => [
      n,
      med(n, (r) => r.files),
      fmt(med(n, (r) => r.coldMs) / 1000, 2),
      fmt(med(n, (r) => r.coldMs) / n, 1),
      fmt(med(n, (r) => r.noChangeMs) / 1000, 2),
      fmt((cliMs * n) / 1000, 1),
      `${fmt((cliMs * n) / med(n, (r) => r.coldMs), 1)}x`,
    ]);
    const big = sizes.at(-1)!;
    const mid = sizes.at(-2)!;
    const cold = med(big, (r) => r.coldMs);
    const noChange = med(big, (r) => r.noChangeMs);
    const speedup = (cliMs * big) / cold;
    const perBig = cold / big;
    const perMid = med(mid, (r) => r.coldMs) / mid;
    // Fixed cost + per-endpoint slope from the two largest sizes.
    const slope = (cold - med(mid, (r) => r.coldMs)) / (big - mid);
    const targets: Target[] = [
      { name: `${big} endpoints cold`, measured: `${fmt(cold / 1000, 2)} s`, goal: ctx.quick ? "< 20 s at 500 (quick: informational)" : "< 20 s", pass: cold < 20_000 },
      { name: `speed-up vs openapi-typescript CLI per spec (${big} specs, extrapolated)`, measured: `${fmt(speedup, 1)}x`, goal: "≥ 30x", pass: speedup >= 30 },
      { name: `no-change run, ${big} endpoints`, measured: `${fmt(noChange / 1000, 2)} s`, goal: "< 2 s", pass: noChange < 2000 },
      {
        name: `linear growth (cold ms per endpoint, ${mid} → ${big})`,
        measured: `${fmt(perMid, 1)} → ${fmt(perBig, 1)} ms (slope ${fmt(slope, 1)} ms/endpoint)`,
        goal: "per-endpoint cost not growing (≤ 1.25x)",
        pass: perBig <= perMid * 1.25,
      },
    ];

    const missed = targets.filter((t) => !t.pass);
    if (missed.length > 0 || !ctx.quick) {
      // Profile the largest size (cold + no-change in one process) to name where the time goes.
      const profDir = join(work, "prof");
      const root = await synthRepo(big, work);
      await worker(root, ["--cpu-prof", `--cpu-prof-dir=${profDir}`]);
      const file = (await readdir(profDir)).find((f) => f.endsWith(".cpuprofile"))!;
      const summary = summarizeProfile(join(profDir, file), 6, ["compileValidator", "toYaml", "repairYaml", "generateTypes", "normalize", "generatePackage", "renderReadme", "staleOutputs"]);
      const pct = (ms: number) => `${fmt(ms / 1000, 2)} s (${fmt((100 * ms) / summary.totalMs, 0)}%)`;
      notes.push(
        `CPU profile of the ${big}-endpoint cold + no-change runs (\`node --cpu-prof\`, ${fmt(summary.totalMs / 1000, 1)} s sampled): self time by package — ${summary.byFile.map((f) => `${f.file} ${pct(f.selfMs)}`).join(", ")}.`,
        `Inclusive time of pipeline steps (synchronous parts; async parts such as openapi-typescript's redocly walk are undercounted): ${summary.inclusive.map((f) => `\`${f.name}\` ${pct(f.ms)}`).join(", ")}.`,
      );
      // The proposed validator-code fix, measured on a patched copy of scripts/src.
      const patched = await patchedScripts();
      const proposal = await worker(await synthRepo(big, work), [], patched);
      notes.push(
        `Cause 1 — \`compileValidator\` (scripts/src/validator-code.ts) creates a new Ajv 2020 instance per endpoint, and Ajv validates every schema against the 2020-12 meta-schema, compiling that meta-schema again in each new instance: ~15 ms of the ~20 ms per endpoint spent there. **Proposed fix** (not applied: scripts/ is someone else's): validate the schema with one shared instance (\`schemaChecker.validateSchema(schema)\`, same check, same errors) and compile with a fresh instance created with \`validateSchema: false\`. The generated validators are then identical except for Ajv's internal numbering (\`validate0\`/\`schema0\` instead of \`validate20\`/\`schema31\`: a one-time regeneration). Measured on a patched copy of scripts/src in this run, ${big} endpoints: cold ${fmt(proposal.coldMs / 1000, 2)} s (was ${fmt(cold / 1000, 2)} s), no change ${fmt(proposal.noChangeMs / 1000, 2)} s (was ${fmt(noChange / 1000, 2)} s).`,
        `Cause 2 — a no-change run does all the work of a cold run (normalize every source, openapi-typescript, Ajv, README) and only then compares with the tree, so it cannot be much faster than cold. **Proposed fix** (scripts/src/outputs.ts, generate.ts): a cache keyed by content — \`node_modules/.cache/fluxkit/generate.json\` mapping sha256(normalized spec YAML + a hash of scripts/src and the generator dependencies' versions) → sha256 of each generated file. When the spec hash matches and every file on disk still has its recorded hash, \`generatePackage\` is skipped for that endpoint (the files are read only to hash them); the same for normalize, keyed by the sources' sha256 (already computed for provenance) + overlays + queue.yaml + providers.yaml. \`check:generated\` keeps bypassing the cache (it must regenerate to prove the tree). Expected no-change cost: reading and hashing ~12 files per endpoint, well under 1 ms each.`,
      );
    }
    return {
      id: "codegen-scale",
      title: "Codegen scale",
      method: `N synthetic endpoint specs (bench/src/synth.ts: the real chainhub flux-lora Apifox export — broken YAML included, so repair and every rule run — with its path moved to \`/fal-ai/synth-<i>\`, an extra field with a prose range, a prose enum and a varied step range), in a temp repo root with specs/queue.yaml and specs/providers.yaml. \`planOutputs(root)\` + \`writeOutputs\` (normalize + generate + write: the normalized spec and 13 package files per endpoint) in a fresh Node process (cold: empty tree, nothing JIT-warm), then the same again with nothing changed (must write 0 files). Median of ${runs} run(s). Baseline: the openapi-typescript 7.13 CLI run once per normalized spec on ${normalized.length} specs (median ${fmt(cliMs, 0)} ms per spec, process start included as a user would pay it), extrapolated to N as N × that.`,
      tables: [
        {
          columns: ["Endpoints", "Files", "Cold s", "Cold ms/endpoint", "No-change s", "Per-spec CLI s (extrapolated)", "Speed-up vs CLI"],
          rows,
        },
      ],
      targets,
      notes,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
