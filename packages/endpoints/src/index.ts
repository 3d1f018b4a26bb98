// Hand-written additions go here; the generated catalog is re-exported as is.
export * from "./generated/index.js";
