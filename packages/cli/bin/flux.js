#!/usr/bin/env node
// Committed shim so package managers can link the bin before dist/ is built.
import "../dist/bin.js";
