/** The app contract and loader (re-exports only); the apps themselves are found by name, see docs/apps.md. */
export * from "./app";
