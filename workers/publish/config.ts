/** workers/publish configuration, parsed with zod (a bad value names the variable). */
import { z } from "zod";
import { isValidSecret } from "../../lib/standard-webhooks.js";

export const PublishConfig = z.object({
  REPO_MASTER_URL: z.url({ protocol: /^https?$/ }),
  REPO_MASTER_SECRET: z.string().refine(isValidSecret, "must be whsec_<base64 of 24-64 bytes>, the same secret the agent uses"),
  /** the webhook worker's public URL: the agent posts job completions to <PIPELINE_URL>/v1/repo-master/events */
  PIPELINE_URL: z.url({ protocol: /^https?$/ }).optional(),
});
export type PublishConfig = z.infer<typeof PublishConfig>;

export function loadPublishConfig(env: unknown): { ok: true; config: PublishConfig } | { ok: false; message: string } {
  const parsed = PublishConfig.safeParse(env);
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, message: `flatgate-publish is not configured: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")} (set it in workers/publish/.dev.vars or with wrangler secret put)` };
}
