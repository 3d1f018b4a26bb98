/**
 * A consumer outside the workspace installs the packed tarballs, imports every generated
 * package, type-checks against the published .d.ts and runs. The install is offline (see
 * offline-install.ts), so the test never reaches the network.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { installOffline, pack, ROOT as REPO } from "./offline-install.js";

// The generated packages, and the @fluxkit/protocol they import, all from their packed tarballs.
const PACKAGES = ["flux-lora", "flux-lora-image-to-image", "flux-1-dev-image-to-image", "protocol"];
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: "pipe" });

describe("packed packages in a consumer project", () => {
  it("install, type-check and run", async () => {
    const packs = await mkdtemp(join(tmpdir(), "fluxkit-packs-"));
    const app = await mkdtemp(join(tmpdir(), "fluxkit-consumer-"));
    dirs.push(packs, app);
    const packages = Object.fromEntries(
      PACKAGES.map((name) => {
        const dir = join(REPO, "packages", name);
        return [`@fluxkit/${name}`, { dir, tarball: pack(dir, packs) }];
      }),
    );
    await writeFile(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", noEmit: true, skipLibCheck: false, types: [] },
      }),
    );
    await writeFile(
      join(app, "index.ts"),
      `import { fluxLora, createClient, type Input, type Output } from "@fluxkit/flux-lora";
import { fluxLoraImageToImage } from "@fluxkit/flux-lora-image-to-image";
import { flux1DevImageToImage, type Input as DevInput } from "@fluxkit/flux-1-dev-image-to-image";

const input: Input = { prompt: "a fox", image_size: "landscape_16_9", loras: [{ path: "x", scale: 1 }] };
const dev: DevInput = { prompt: "a fox", image_url: "https://example.com/a.png", acceleration: "high" };
const firstUrl = (o: Output): string | undefined => o.images[0]?.url;
// @ts-expect-error flux-1/dev takes no "turbo" acceleration
const wrong: DevInput = { prompt: "a", image_url: "b", acceleration: "turbo" };
void wrong; void firstUrl; void createClient;
console.log(JSON.stringify([
  fluxLora.validateInput(input).length,
  flux1DevImageToImage.validateInput(dev).length,
  fluxLoraImageToImage.validateInput({ prompt: "p" }).map((i) => i.path),
  fluxLoraImageToImage.app,
]));
`,
    );
    installOffline(app, packages);
    run(join(REPO, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], app);
    run(join(REPO, "node_modules/.bin/tsc"), ["--outDir", "out", "--noEmit", "false", "-p", "tsconfig.json"], app);
    const printed = run(process.execPath, ["out/index.js"], app);
    expect(JSON.parse(printed)).toEqual([0, 0, ["image_url"], "fal-ai/flux-lora"]);
  });
});
