// Hand-written additions go here; the generated API is re-exported as is.
export * from "./generated/index.js";
