/**
 * `npm run check:deploy`: the `[vars]` of every wrangler config checked with its worker's own
 * schema (issue 10 item 11), then a dry-run deploy of every worker, printing each bundle's size.
 */
import { bundle } from "./bundle.js";
import { ROOT } from "./local-stack.js";
import { formatIssues, validateDeployVars, type LabelledIssue } from "./validate-config.js";
import { WORKERS } from "./wrangler-env.js";
import { readWranglerVars } from "./wrangler-vars.js";

const tomlVars = readWranglerVars(ROOT, WORKERS.map((w) => w.config));
const issues: LabelledIssue[] = WORKERS.flatMap((w, n) => validateDeployVars(w.name, tomlVars[n]!).map((i) => ({ ...i, where: `${w.config} [vars]` })));
if (issues.length > 0) {
  console.error(`check:deploy: invalid [vars] (the workers would refuse them at request time):\n${formatIssues(issues)}`);
  process.exit(1);
}
console.log(`[vars] of ${WORKERS.map((w) => w.config).join(", ")}: valid`);

const rows: string[] = [];
for (const w of WORKERS) {
  const { files } = bundle(w.config, `dist/deploy/${w.name}`);
  const bytes = files.reduce((n, f) => n + f.bytes, 0);
  rows.push(`${w.name.padEnd(10)} ${w.config.padEnd(32)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB`);
}
console.log(`worker     config                           bundle size\n${rows.join("\n")}`);
