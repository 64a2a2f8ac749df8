/** Starts the local stand-ins the workerd tests talk to, and hands their URLs to the pool. */
import type { TestProject } from "vitest/node";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startFakeFlatManager } from "../fixtures/fake-flat-manager.js";
import { startFakeRepoMaster } from "../fixtures/fake-repo-master.js";
import { startFakeSaas } from "../fixtures/fake-saas.js";
import { examplePayload, generateAppKey } from "../fixtures/github-app.js";
import { startOidcIssuer } from "../fixtures/oidc-issuer.js";
import { TEST_SECRETS } from "./test-env.js";

declare module "vitest" {
  export interface ProvidedContext {
    fakeAgentUrl: string;
    saasUrl: string;
    /** the local OIDC issuer (issuers under /main, /rotating, /down) */
    oidcIssuerUrl: string;
    /** the stand-in flat-manager (real OSTree repo, real GPG-signed summary) */
    fakeFlatManagerUrl: string;
    /** a throwaway GitHub App key (PKCS#8 PEM) generated for this run */
    githubAppKey: string;
    /** real check_run payloads from @octokit/webhooks-examples */
    checkRunExamples: { requested_action: Record<string, unknown>; rerequested: Record<string, unknown> };
  }
}

export default async function setup(project: TestProject) {
  const agent = await startFakeRepoMaster(TEST_SECRETS.repoMaster);
  const saas = await startFakeSaas();
  const oidc = await startOidcIssuer();
  project.provide("oidcIssuerUrl", oidc.url);
  // short path: gpg-agent's socket path must fit in 108 bytes
  const fmDir = await mkdtemp(path.join(tmpdir(), "fg-fm-"));
  const flatManager = await startFakeFlatManager({ dir: fmDir, secretB64: TEST_SECRETS.flatManager });
  project.provide("fakeFlatManagerUrl", flatManager.url);
  project.provide("fakeAgentUrl", agent.url);
  project.provide("saasUrl", saas.url);
  project.provide("githubAppKey", (await generateAppKey()).privateKeyPkcs8);
  project.provide("checkRunExamples", { requested_action: examplePayload("check_run", "requested_action"), rerequested: examplePayload("check_run", "rerequested") });
  return async () => {
    await agent.close();
    await saas.close();
    await oidc.close();
    await flatManager.close();
    await rm(fmDir, { recursive: true, force: true });
  };
}
