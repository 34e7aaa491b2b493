export * from "./ingress";
export type { AcmeChallenge, AcmeSettings } from "./acme-renewer";
export { LETS_ENCRYPT, LETS_ENCRYPT_STAGING } from "./acme-renewer";
