export * from "./dns-vip";
