export type { SecretInput } from "./inputs";
export { secretInputProblems } from "./inputs";
export type { SecretKind, SecretMatch } from "./material";
export { findSecretMaterial, SECRET_KIND_DESCRIPTIONS } from "./material";
export type { PlaintextSecret } from "./scan";
export { findPlaintextSecrets, findSecretsIn, plaintextSecretProblems, rejectPlaintextSecrets } from "./scan";
