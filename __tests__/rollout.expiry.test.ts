import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lab } from "../environments";
import { deployedExpiries, expiryWarnings, reviewExpiry } from "../scripts/review/expiry";
import { synthEnvironment } from "./support/synth";

const NOW = new Date("2026-11-26T12:00:00Z");
const stacks = synthEnvironment(lab);
const RENEW = "deploy lab-hosts (the renew-certificates workflow does it daily): Terraform issues a new one from 30 days before expiry and the delivery reloads the agents";

describe("certificate and token expiry you see coming", () => {
  it("the hosts stack outputs when the CA and each host's certificate expire", () => {
    expect(stacks["lab-hosts"].output.certificate_expiry.value).toEqual({
      ca: expect.stringMatching(/^\$\{tls_self_signed_cert\.Cluster_Pki_Ca_\w+\.validity_end_time\}$/),
      "lab-server-1": expect.stringMatching(/^\$\{tls_locally_signed_cert\.Cluster_Pki_ServerCert-1_\w+\.validity_end_time\}$/),
      "lab-server-2": expect.stringMatching(/validity_end_time/),
      "lab-server-3": expect.stringMatching(/validity_end_time/),
    });
  });

  it("the acl stack outputs that its tokens never expire (no TTL), so they rotate by a generation change instead", () => {
    expect(stacks["lab-acl"].output.token_expiry).toEqual({
      description: expect.stringContaining("never (no TTL)"),
      value: {
        "nomad management": "never",
        "consul management": "never",
        "consul-agents": "never",
        "nomad-agents": "never",
        "health-gate (nomad)": "never",
        "health-gate (consul)": "never",
      },
    });
  });

  it("warns within 30 days of an expiry, and about one already past, saying what renews it", () => {
    expect(
      expiryWarnings("lab-hosts", { ca: "2036-11-20T00:00:00Z", "lab-server-1": "2026-12-20T12:00:00Z", "lab-server-2": "2027-06-01T00:00:00Z", "lab-server-3": "2026-11-25T00:00:00Z" }, NOW),
    ).toEqual([
      `lab-hosts: the certificate of lab-server-1 expires on 2026-12-20T12:00:00Z (in 24 days); ${RENEW}`,
      `lab-hosts: the certificate of lab-server-3 expired on 2026-11-25T00:00:00Z; ${RENEW}`,
    ]);
    expect(expiryWarnings("lab-hosts", { ca: "2026-12-01T00:00:00Z" }, NOW)).toEqual([
      'lab-hosts: the cluster CA expires on 2026-12-01T00:00:00Z (in 4 days); rotate the CA: raise caGeneration (docs/operations.md "Rotating the CA")',
    ]);
  });

  it("warns about a token due within 30 days, and never about one without a TTL", () => {
    expect(expiryWarnings("lab-acl", { "nomad management": "never", operator: "2026-12-10T00:00:00Z", later: "2027-02-01T00:00:00Z" }, NOW, "token_expiry")).toEqual([
      'lab-acl: the token of operator expires on 2026-12-10T00:00:00Z (in 13 days); rotate it (docs/operations.md "Rotating tokens")',
    ]);
  });

  it("fails to stay silent about a date it cannot read", () => {
    expect(expiryWarnings("lab-hosts", { ca: "soon" }, NOW)).toEqual(['lab-hosts: certificate ca has no readable expiry date ("soon")']);
    expect(expiryWarnings("lab-hosts", { ca: "never" }, NOW)).toEqual(['lab-hosts: certificate ca has no readable expiry date ("never")']);
    expect(expiryWarnings("lab-acl", { gate: "" }, NOW, "token_expiry")).toEqual(['lab-acl: token gate has no readable expiry date ("")']);
  });

  it("reads the dates from the deployed local state, and names the stacks and outputs it cannot read", () => {
    const repo = mkdtempSync(join(tmpdir(), `hashilab-expiry-${process.pid}-`));
    try {
      const app = { "lab-hosts": stacks["lab-hosts"], "lab-acl": stacks["lab-acl"], "lab-platform": stacks["lab-platform"] };
      expect(reviewExpiry(repo, app, NOW)).toEqual([
        "lab-acl: token expiry not checked (no local state with the token_expiry output: not deployed yet, or a remote backend: terraform output token_expiry)",
        "lab-hosts: certificate expiry not checked (no local state with the certificate_expiry output: not deployed yet, or a remote backend: terraform output certificate_expiry)",
      ]);
      mkdirSync(join(repo, "state"));
      writeFileSync(join(repo, "state/lab-hosts.tfstate"), JSON.stringify({ outputs: { certificate_expiry: { value: { ca: "2036-01-01T00:00:00Z", "lab-server-1": "2026-12-01T00:00:00Z" } } } }));
      writeFileSync(join(repo, "state/lab-acl.tfstate"), JSON.stringify({ outputs: { token_expiry: { value: { "nomad management": "never" } } } }));
      expect(deployedExpiries(repo, app)).toEqual({
        expiries: {
          "lab-acl": { token_expiry: { "nomad management": "never" } },
          "lab-hosts": { certificate_expiry: { ca: "2036-01-01T00:00:00Z", "lab-server-1": "2026-12-01T00:00:00Z" } },
        },
        unread: [],
      });
      expect(reviewExpiry(repo, app, NOW)).toEqual([expect.stringMatching(/^lab-hosts: the certificate of lab-server-1 expires on 2026-12-01T00:00:00Z \(in 4 days\)/)]);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
