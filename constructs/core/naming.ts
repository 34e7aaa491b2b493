/** Construct ids are PascalCase, Nomad names kebab-case: "ItTools" → "it-tools", "ReadJobs" → "read-jobs", "Gitea2" → "gitea2". */
export function kebabCase(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .toLowerCase();
}

/** Nomad's names of namespaces, ACL policies and roles (nomad/structs validNamespaceName): no globs, no dots. */
export const NOMAD_NAME = /^[a-zA-Z0-9-]{1,128}$/;
