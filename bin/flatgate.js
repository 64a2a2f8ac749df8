#!/usr/bin/env node
// The `flatgate` command (docs/cli.md). The CLI is TypeScript run through tsx's ESM loader, so a
// checkout needs no build step; tsx is a runtime dependency for the same reason (npm install -g).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
