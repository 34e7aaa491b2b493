/** The project's jest setup (swc transform, node environment), rooted at the baseline. */
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testEnvironment: "node",
  testMatch: ["<rootDir>/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest"] },
};
