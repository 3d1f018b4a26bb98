// Copies the repo's normalized specs into the package, so a published emulator serves them.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";

const from = new URL("../../../specs/normalized/", import.meta.url);
const to = new URL("../specs/", import.meta.url);
rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
const files = readdirSync(from).filter((name) => name.endsWith(".yaml"));
for (const name of files) copyFileSync(new URL(name, from), new URL(name, to));
console.log(`bundled ${files.length} normalized specs into packages/emulator/specs`);
