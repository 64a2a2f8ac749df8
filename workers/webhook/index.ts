/** The webhook worker: public HTTP entry of Flatgate and host of its Durable Objects. */
import { app } from "./app.js";

export { AppPublisher } from "../../durable/app-publisher.js";
export { BuildIndex } from "../../durable/build-index.js";
export { RepoCoordinator } from "../../durable/repo-coordinator.js";
export { ReplayLedger } from "../../durable/replay-ledger.js";

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
