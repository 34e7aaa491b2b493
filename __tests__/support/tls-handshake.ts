import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { requireTool } from "./tools";

/** One host in a handshake: the CA bundle it trusts and the certificate it presents (PEM). */
export interface TlsSide {
  readonly ca: string;
  readonly cert: string;
}

/**
 * Whether each pair completes a mutually verified handshake in Go's crypto/tls, the agents'
 * own TLS stack (tls-handshake.go); `key` is every certificate's key.
 */
export function goHandshakes(key: string, serverName: string, pairs: ReadonlyArray<{ server: TlsSide; client: TlsSide }>): boolean[] {
  requireTool("go");
  const out = execFileSync("go", ["run", join(__dirname, "tls-handshake.go")], {
    input: JSON.stringify({ key, serverName, pairs }),
    encoding: "utf8",
    // The program uses the standard library only.
    env: { ...process.env, GO111MODULE: "off" },
  });
  return JSON.parse(out);
}
