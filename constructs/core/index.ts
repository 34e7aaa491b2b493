/** The library's shared core: imported by every feature, imports none of them. Re-exports only. */
export * from "./bounded-cache";
export * from "./dependencies";
export * from "./describe";
export * from "./dns-name";
export * from "./errors";
export * from "./glob";
export * from "./go-duration";
export * from "./hcl";
export * from "./ipv4";
export * from "./naming";
export * from "./terraform-escape";
