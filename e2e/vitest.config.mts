import { configDefaults, defineConfig } from "vitest/config";

// The end-to-end suite: the real `pulumi` CLI (Automation API) against the Kubernetes API in
// KUBECONFIG. One file at a time: each drives whole `pulumi up`s and reads the cluster.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.test.ts"],
    // The fault suite runs on its own (`npm run test:faults`, vitest.faults.config.mts).
    exclude: [...configDefaults.exclude, "e2e/faults.e2e.test.ts"],
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
