/**
 * Two test layers (STYLE.md §9): `node` runs pure units, the repo-master agent against real
 * ostree/flatpak/gpg and the end-to-end flow; `workers` runs the webhook worker and the Durable
 * Objects in real workerd, with the internal workers loaded from their built bundles
 * (`npm run build:aux`) and external services replaced by local servers from the global setup.
 */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { TEST_ENV, TEST_REPOS, TEST_SECRETS, trustedPublishers } from "./test/workers/test-env.js";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/unit/**/*.test.ts", "test/agent/**/*.test.ts", "test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [
          cloudflareTest(async ({ inject }) => {
            const fakeAgent = inject("fakeAgentUrl");
            const saas = inject("saasUrl");
            const fm = inject("fakeFlatManagerUrl");
            const repos = JSON.stringify({
              ...TEST_REPOS,
              stable: { ...TEST_REPOS.stable, public_url: `${saas}/edge/stable`, gpg_key_url: `${saas}/edge/stable/key.gpg` },
              // the origin stands in for the CDN, so edge verification reads the real signed summary
              "flat-manager": { ...TEST_REPOS["flat-manager"], flat_manager_url: fm, public_url: `${fm}/repo/stable` },
            });
            return {
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  ...TEST_ENV,
                  // the stable repo's public URL is the fake edge, so purge verification has somewhere to look
                  REPOS: repos,
                  FAKE_AGENT_URL: fakeAgent,
                  FAKE_FLAT_MANAGER_URL: fm,
                  SAAS_URL: saas,
                  OIDC_ISSUER_URL: inject("oidcIssuerUrl"),
                  TRUSTED_PUBLISHERS: trustedPublishers(inject("oidcIssuerUrl")),
                  CHECK_RUN_EXAMPLES: JSON.stringify(inject("checkRunExamples")),
                  GITHUB_APP_PRIVATE_KEY: inject("githubAppKey"),
                  GITHUB_API_URL: `${saas}/github`,
                  SLACK_API_URL: `${saas}/slack`,
                },
                workers: [
                  {
                    name: "flatgate-publish",
                    modules: true,
                    scriptPath: "./dist/aux/publish/index.js",
                    compatibilityDate: "2025-09-01",
                    compatibilityFlags: ["nodejs_compat"],
                    bindings: { REPO_MASTER_URL: fakeAgent, REPO_MASTER_SECRET: TEST_ENV.REPO_MASTER_SECRET, PIPELINE_URL: `${saas}/pipeline`, REPOS: repos, FLAT_MANAGER_SECRET: TEST_SECRETS.flatManager },
                    durableObjects: { FLAT_MANAGER_JOBS: { className: "FlatManagerJobs", useSQLite: true } },
                  },
                  {
                    name: "flatgate-purge",
                    modules: true,
                    scriptPath: "./dist/aux/purge/index.js",
                    compatibilityDate: "2025-09-01",
                    compatibilityFlags: ["nodejs_compat"],
                    bindings: { FASTLY_API_TOKEN: "test-fastly-token", FASTLY_SERVICE_ID: "svc123", FASTLY_API_URL: `${saas}/fastly`, PURGE_VERIFY_ROUNDS: "2", PURGE_VERIFY_DELAY_MS: "50", PURGE_VERIFY_MAX_DELAY_MS: "100" },
                  },
                ],
              },
            };
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          globalSetup: ["./test/workers/global-setup.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
