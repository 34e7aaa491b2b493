import { parse } from "yaml";

/** A file from a cloud-config's write_files. */
export interface WrittenFile {
  readonly path: string;
  readonly content: string;
  readonly permissions: string;
  readonly owner: string;
}

/** The cloud-config of a host's user-data, parsed. */
export function parseUserData(userData: string): Record<string, any> {
  if (!userData.startsWith("#cloud-config\n")) throw new Error("user-data is not a cloud-config");
  return parse(userData);
}

/** The content cloud-init writes to `path`; throws when the user-data does not write it. */
export function writtenFile(userData: string, path: string): WrittenFile {
  const file = (parseUserData(userData).write_files as WrittenFile[]).find((f) => f.path === path);
  if (!file) throw new Error(`user-data writes no ${path}`);
  return file;
}
