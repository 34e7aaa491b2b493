/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest"] },
  // Synthesizing stacks and running terraform/validators takes seconds, not milliseconds.
  testTimeout: 120000,
};
