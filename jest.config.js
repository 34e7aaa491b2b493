const { availableParallelism } = require("node:os");

/** @type {import('jest').Config} */
module.exports = {
  // jest's node environment, with cdktf's token stack traces left to V8 (test-environment.ts).
  testEnvironment: "<rootDir>/__tests__/support/test-environment.ts",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest"] },
  // examples/ import the library by its package name, as a consumer repository does.
  // @cdktf/hcl2json: the real parser, one copy per worker, not per test file (support/hcl2json.ts).
  moduleNameMapper: {
    "^hashilab$": "<rootDir>/constructs/index.ts",
    "^@cdktf/hcl2json$": "<rootDir>/__tests__/support/hcl2json.ts",
  },
  // A folder the run's test files share: one npm pack, one synth of each environment (test-run.ts).
  globalSetup: "<rootDir>/__tests__/support/global-setup.ts",
  globalTeardown: "<rootDir>/__tests__/support/global-teardown.ts",
  // Synthesizing stacks and running terraform/validators takes seconds, not milliseconds.
  testTimeout: 120000,
  // Most suites wait on child processes (terraform, tsc, npm, validators), not the CPU: more
  // workers than cores overlap those waits (on 2 cores: 255 s with 3 workers; jest's default
  // of cores - 1 = 1 worker took several times longer). A number: jest reads a percentage
  // only up to 100 % and takes "150%" as 150 workers.
  maxWorkers: Math.ceil(availableParallelism() * 1.5),
};
