// The agent's tests run in plain Node against real ostree/flatpak/gpg (slow-ish: real signing).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/agent/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
