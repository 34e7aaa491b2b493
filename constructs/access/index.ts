export { Access } from "./access";
export type { AccessProps } from "./access";
