/** Starts the local stand-ins the workerd tests talk to, and hands their URLs to the pool. */
import type { TestProject } from "vitest/node";
import { startFakeRepoMaster } from "../fixtures/fake-repo-master.js";
import { startFakeSaas } from "../fixtures/fake-saas.js";
import { TEST_SECRETS } from "./test-env.js";

declare module "vitest" {
  export interface ProvidedContext {
    fakeAgentUrl: string;
    saasUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const agent = await startFakeRepoMaster(TEST_SECRETS.repoMaster);
  const saas = await startFakeSaas();
  project.provide("fakeAgentUrl", agent.url);
  project.provide("saasUrl", saas.url);
  return async () => {
    await agent.close();
    await saas.close();
  };
}
