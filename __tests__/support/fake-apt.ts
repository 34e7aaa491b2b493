import { join } from "node:path";

/**
 * Stand-ins for dpkg-query and apt-get on a sandboxed host (HASHILAB_ROOT): the installed
 * packages are files in <root>/var/lib/fake-dpkg/<package> holding their version;
 * `apt-get install pkg=version` records the call and installs it there (a version the
 * repository lacks, per <root>/var/lib/fake-apt/missing, fails as apt-get does with 100).
 */
export function fakeApt(root: string, log: string): Record<"dpkg-query" | "apt-get", string> {
  const db = join(root, "var/lib/fake-dpkg");
  const missing = join(root, "var/lib/fake-apt/missing");
  return {
    "dpkg-query": `package=\${!#}; [ -f "${db}/$package" ] || { echo "dpkg-query: no packages found matching $package" >&2; exit 1; }; printf '%s' "$(cat "${db}/$package")"`,
    "apt-get": [
      `echo "apt-get $*" >> "${log}"`,
      'for arg in "$@"; do',
      '  case $arg in',
      '    [a-z]*=[0-9]*-[0-9]*)',
      `      if grep -qxF "$arg" "${missing}" 2>/dev/null; then echo "E: Version '\${arg#*=}' for '\${arg%%=*}' was not found" >&2; exit 100; fi`,
      `      mkdir -p "${db}"; printf '%s' "\${arg#*=}" > "${db}/\${arg%%=*}" ;;`,
      '  esac',
      'done',
    ].join("\n"),
  };
}
