export { Access, DEFAULT_DEVELOPER_NAMESPACE } from "./access";
export type { AccessProps } from "./access";
