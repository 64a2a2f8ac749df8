/** Builds the internal workers so the workerd tests can load them as auxiliary workers. */
import { bundle } from "./bundle.js";
import { WORKERS } from "./wrangler-env.js";

for (const w of WORKERS.filter((w) => w.name !== "webhook")) {
  bundle(w.config, `dist/aux/${w.name}`);
  console.log(`built dist/aux/${w.name}`);
}
