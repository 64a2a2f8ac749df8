/**
 * The RPC services the Durable Objects call, typed by their contracts in lib/. `wrangler types`
 * can only type a service binding by importing the worker's class, which would make durable/
 * depend on workers/ (DESIGN.md: durable → lib only), so the contract type is applied here, once.
 */
import type { PublishService } from "../lib/publish-contract.js";
import type { PurgeService } from "../lib/purge/contract.js";

export const publishService = (env: Env): PublishService => env.PUBLISH as unknown as PublishService;

export const purgeService = (env: Env): PurgeService => env.PURGE as unknown as PurgeService;
