/** Validate any value against a schema of a normalized spec (Ajv, JSON Schema 2020-12). */
import Ajv2020 from "ajv/dist/2020.js";
import type { JsonObject, JsonValue } from "./spec-catalog.js";

export interface SchemaValidator {
  /** Errors for `value` against the schema at `pointer` (e.g. "#/components/schemas/Output"); [] when valid. */
  errors(pointer: string, value: JsonValue | unknown): string[];
}

export function specValidator(doc: JsonObject): SchemaValidator {
  const Ajv = Ajv2020 as unknown as typeof Ajv2020.default;
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  ajv.addSchema({ ...doc, $id: "spec" } as object);
  return {
    errors(pointer, value) {
      const validate = ajv.getSchema(`spec${pointer}`);
      if (!validate) throw new Error(`no schema at ${pointer}`);
      if (validate(value)) return [];
      return (validate.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? e.keyword}`);
    },
  };
}
