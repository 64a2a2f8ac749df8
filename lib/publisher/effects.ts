/**
 * Side effects a publisher decision asks for. The Durable Object stores them in its outbox in the
 * same transaction as the state change and performs them from its alarm, so an outage of GitHub,
 * Slack or the coordinator delays them but never loses them.
 */
export type Effect =
  /** create or update the build's GitHub check run to match its state */
  | { kind: "github"; build_key: string }
  /** create or update the build's Slack message */
  | { kind: "slack"; build_key: string }
  /** a thread reply under the build's Slack message (refused approval, retries) */
  | { kind: "slack_reply"; build_key: string; text: string }
  /** hand an approved build to the repo's RepoCoordinator */
  | { kind: "enqueue"; build_key: string }
  /** upsert the build's row in the repo's BuildIndex (listing, metrics) */
  | { kind: "index"; build_key: string }
  /** delete an unpublished build from flat-manager's build repos (issue 12 "Housekeeping") */
  | { kind: "discard_build"; build_key: string };

/** Every state change is mirrored to GitHub and Slack, and to the repo's build index. */
export function mirror(build_key: string): Effect[] {
  return [
    { kind: "github", build_key },
    { kind: "slack", build_key },
    { kind: "index", build_key },
  ];
}
