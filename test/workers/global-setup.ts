/** Starts the local stand-ins the workerd tests talk to, and hands their URLs to the pool. */
import type { TestProject } from "vitest/node";
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
  project.provide("fakeAgentUrl", agent.url);
  project.provide("saasUrl", saas.url);
  project.provide("githubAppKey", (await generateAppKey()).privateKeyPkcs8);
  project.provide("checkRunExamples", { requested_action: examplePayload("check_run", "requested_action"), rerequested: examplePayload("check_run", "rerequested") });
  return async () => {
    await agent.close();
    await saas.close();
    await oidc.close();
  };
}
