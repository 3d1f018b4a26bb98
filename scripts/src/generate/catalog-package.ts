/**
 * The catalog package, @fluxkit/endpoints: every generated endpoint package in one import,
 * by endpoint id and by slug. The CLI and the contract suites depend on it alone, so an
 * endpoint that a new vendor document adds reaches them with no hand-written change.
 */
import { endpointSpecData } from "./endpoint-spec-data.js";
import { GENERATED_BY, publishablePackageJson, SCAFFOLD_TSCONFIG, SCAFFOLD_TSCONFIG_BUILD, type GeneratedFile } from "./endpoint-package.js";
import type { JsonObject } from "../json.js";
import type { NormalizedEndpoint } from "../normalize/normalize.js";

export const CATALOG_DIR = "packages/endpoints";
const HEADER = `// ${GENERATED_BY.replace(/ from specs\/normalized\/$/, "")} from specs/normalized/*.yaml. Do not edit.\n`;

function indexModule(endpoints: readonly NormalizedEndpoint[]): string {
  const sorted = [...endpoints].sort((a, b) => a.names.id.localeCompare(b.names.id));
  return `${HEADER}${sorted.map((e) => `import * as ${e.names.exportName} from "${e.names.packageName}";`).join("\n")}

/** Every generated endpoint package (its endpoint, inputSchema, createClient, types), by endpoint id. */
export const endpointPackages = {
${sorted.map((e) => `  ${JSON.stringify(e.names.id)}: ${e.names.exportName},`).join("\n")}
} as const;

export type EndpointId = keyof typeof endpointPackages;
export type EndpointPackage = (typeof endpointPackages)[EndpointId];

/** Package slug (\`flux-lora\`) → endpoint id (\`fal-ai/flux-lora\`). */
export const endpointIdsBySlug: Readonly<Record<string, EndpointId>> = {
${sorted.map((e) => `  ${JSON.stringify(e.names.slug)}: ${JSON.stringify(e.names.id)},`).join("\n")}
};

export const endpointIds = Object.keys(endpointPackages) as EndpointId[];

/** Look an endpoint package up by id (\`fal-ai/flux-lora\`) or slug (\`flux-lora\`); undefined when unknown. */
export function findEndpointPackage(name: string): EndpointPackage | undefined {
  const id = (name in endpointPackages ? name : endpointIdsBySlug[name]) as EndpointId | undefined;
  return id === undefined ? undefined : endpointPackages[id];
}
`;
}

/** `@fluxkit/endpoints/specs`: each endpoint's queue API as data, apart from the packages so it loads none of them. */
function specsModule(endpoints: readonly NormalizedEndpoint[]): string {
  const sorted = [...endpoints].sort((a, b) => a.names.id.localeCompare(b.names.id));
  // One line per endpoint: data to read through the types, not to review (the normalized spec is that).
  return `${HEADER}import type { EndpointSpecData } from "../endpoint-spec.js";
export type * from "../endpoint-spec.js";

/** What each normalized spec says about its endpoint's queue API, by endpoint id. */
export const endpointSpecs: readonly EndpointSpecData[] = [
${sorted.map((e) => `  ${JSON.stringify(endpointSpecData(e))},`).join("\n")}
];
`;
}

function packageJson(endpoints: readonly NormalizedEndpoint[]): JsonObject {
  return {
    ...publishablePackageJson(
      "@fluxkit/endpoints",
      "Every generated fluxkit endpoint package in one import, by endpoint id and slug (generated).",
      CATALOG_DIR,
    ),
    exports: {
      ".": { types: "./dist/index.d.ts", import: "./dist/index.js" },
      "./specs": { types: "./dist/generated/specs.d.ts", import: "./dist/generated/specs.js" },
      "./package.json": "./package.json",
    },
    dependencies: Object.fromEntries(
      [...endpoints].sort((a, b) => a.names.packageName.localeCompare(b.names.packageName)).map((e) => [e.names.packageName, "workspace:*"]),
    ),
  };
}

function readme(endpoints: readonly NormalizedEndpoint[]): string {
  return `<!-- ${HEADER.slice(3).trim()} -->
# @fluxkit/endpoints

Every generated fluxkit endpoint package in one import.

\`\`\`ts
import { endpointPackages, findEndpointPackage } from "@fluxkit/endpoints";

const lora = findEndpointPackage("flux-lora"); // or "fal-ai/flux-lora"
console.log(lora?.endpoint.id, Object.keys(endpointPackages));
\`\`\`

\`@fluxkit/endpoints/specs\` holds what each spec says about its queue API as data (routes,
parameters, servers, schemas), without loading the packages; the emulator serves from it.

| endpoint | package |
|---|---|
${[...endpoints]
  .sort((a, b) => a.names.id.localeCompare(b.names.id))
  .map((e) => `| \`${e.names.id}\` | \`${e.names.packageName}\` |`)
  .join("\n")}
`;
}

export function generateCatalog(endpoints: readonly NormalizedEndpoint[]): GeneratedFile[] {
  return [
    { path: `${CATALOG_DIR}/src/generated/index.ts`, content: indexModule(endpoints), mode: "always" },
    { path: `${CATALOG_DIR}/src/generated/specs.ts`, content: specsModule(endpoints), mode: "always" },
    { path: `${CATALOG_DIR}/README.md`, content: readme(endpoints), mode: "always" },
    { path: `${CATALOG_DIR}/package.json`, content: `${JSON.stringify(packageJson(endpoints), null, 2)}\n`, mode: "merge" },
    {
      path: `${CATALOG_DIR}/src/index.ts`,
      content: `// Hand-written additions go here; the generated catalog is re-exported as is.\nexport * from "./generated/index.js";\n`,
      mode: "once",
    },
    { path: `${CATALOG_DIR}/tsconfig.json`, content: SCAFFOLD_TSCONFIG, mode: "once" },
    { path: `${CATALOG_DIR}/tsconfig.build.json`, content: SCAFFOLD_TSCONFIG_BUILD, mode: "once" },
  ];
}
