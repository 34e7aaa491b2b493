export * from "./dns-vip";
export { DNS_PORT } from "./coredns-job";
