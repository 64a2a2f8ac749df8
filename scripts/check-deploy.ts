/** `npm run check:deploy`: a dry-run deploy of every worker, printing each bundle's size. */
import { bundle } from "./bundle.js";
import { WORKERS } from "./wrangler-env.js";

const rows: string[] = [];
for (const w of WORKERS) {
  const { files } = bundle(w.config, `dist/deploy/${w.name}`);
  const bytes = files.reduce((n, f) => n + f.bytes, 0);
  rows.push(`${w.name.padEnd(10)} ${w.config.padEnd(32)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB`);
}
console.log(`worker     config                           bundle size\n${rows.join("\n")}`);
