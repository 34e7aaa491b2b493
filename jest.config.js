/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest"] },
  // examples/ import the library by its package name, as a consumer repository does.
  moduleNameMapper: { "^hashilab$": "<rootDir>/constructs/index.ts" },
  // Synthesizing stacks and running terraform/validators takes seconds, not milliseconds.
  testTimeout: 120000,
};
