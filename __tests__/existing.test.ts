import { App } from "cdktf";
import { EnvironmentConfig, ExistingClusterConfig } from "../environments";
import { STANDARD_NAMESPACES } from "../environments/namespaces";
import { addEnvironment } from "../stacks/environment";
import { synthEnvironment } from "./support/synth";

const CA = [
  "-----BEGIN CERTIFICATE-----",
  "MIIBfTCCASOgAwIBAgIUXX+I3PvUWzFvQdV1+4gK7Lfz6/kwCgYIKoZIzj0EAwIw",
  "FDESMBAGA1UEAwwJc2hhcmVkIENBMB4XDTI2MTEyNjE1MDQ0OVoXDTM2MTEyMzE1",
  "MDQ0OVowFDESMBAGA1UEAwwJc2hhcmVkIENBMFkwEwYHKoZIzj0CAQYIKoZIzj0D",
  "AQcDQgAEofvEFiy/8S9PA5OTOQRH6gH7GtQvwE2x8VzUPe8uaoLQDnCGdkmIvt0k",
  "xeXUDDdPRrf5w+I55pMpb6GyQwt8jKNTMFEwHQYDVR0OBBYEFKBroYHhCfbHlLsf",
  "oWvxD/9WLaNlMB8GA1UdIwQYMBaAFKBroYHhCfbHlLsfoWvxD/9WLaNlMA8GA1Ud",
  "EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAPWCJPgUtmWHbYwUklxIlq1L",
  "MUFOZzNketnUU5v0/d1UAiBljHmdCh81NmBG/uSMMvILldt2qrW6TjsyezJvd2LL",
  "EA==",
  "-----END CERTIFICATE-----",
  "",
].join("\n");

const CLUSTER: ExistingClusterConfig = {
  kind: "existing",
  nomadAddress: "https://nomad.example.net:4646",
  consulAddress: "https://consul.example.net:8501",
  caCertPem: CA,
  clients: { count: 3, drivers: ["docker", "podman", "exec"], hostNetworks: ["private", "public"] },
  nomadVersion: "2.0.5",
  operatorCidrs: ["198.51.100.7/32"],
};

/** A repository that only manages namespaces, policies and jobs on a cluster someone else runs. */
const shared: EnvironmentConfig = {
  name: "shared",
  tier: "lab",
  region: "global",
  datacenter: "dc1",
  domain: "apps.example.net",
  namespaces: STANDARD_NAMESPACES,
  anonymousAccess: "deny",
  cluster: CLUSTER,
  dns: { mode: "none" },
  state: { kind: "local" },
};

describe("an environment on an existing cluster", () => {
  const stacks = synthEnvironment(shared);

  it("has no hosts stack and no ACL bootstrap: only platform and workloads", () => {
    expect(Object.keys(stacks).sort()).toEqual(["shared-platform", "shared-workloads"]);
  });

  it("reaches Nomad and Consul over HTTPS with the given CA and management tokens from sensitive variables", () => {
    for (const name of ["shared-platform", "shared-workloads"]) {
      const stack = stacks[name];
      expect(stack.provider.nomad[0]).toMatchObject({ address: CLUSTER.nomadAddress, ca_pem: CA, secret_id: "${var.nomad_token}" });
      expect(stack.variable.nomad_token).toMatchObject({ type: "string", sensitive: true });
      expect(stack.variable.nomad_token.default).toBeUndefined();
    }
    expect(stacks["shared-platform"].provider.consul[0]).toMatchObject({ address: CLUSTER.consulAddress, ca_pem: CA, token: "${var.consul_token}" });
    expect(stacks["shared-platform"].variable.consul_token).toMatchObject({ type: "string", sensitive: true });
  });

  const invalid = (cluster: Partial<ExistingClusterConfig>) => () => addEnvironment(new App(), { ...shared, cluster: { ...CLUSTER, ...cluster } });

  it("fails on a plain HTTP address: the management token would cross the network in the clear", () => {
    expect(invalid({ nomadAddress: "http://nomad.example.net:4646" })).toThrow(
      /^environment "shared" \(EnvironmentConfig\):\n  - cluster\.nomadAddress "http:\/\/nomad\.example\.net:4646" is not an https:\/\/ address/,
    );
    expect(invalid({ consulAddress: "https://consul.example.net:8501/v1; rm" })).toThrow(/cluster\.consulAddress .* is not an https:\/\/ address/);
    expect(invalid({ nomadAddress: "https://${var.x}:4646" })).toThrow(/cluster\.nomadAddress .* is not an https:\/\/ address/);
  });

  it("fails on a CA that is not a PEM certificate, and on no clients", () => {
    expect(invalid({ caCertPem: "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n" })).toThrow(/cluster\.caCertPem is not a PEM certificate/);
    expect(invalid({ caCertPem: CA.replace("EA==", "EA==${file(\"/etc/shadow\")}") })).toThrow(/cluster\.caCertPem is not a PEM certificate/);
    expect(invalid({ clients: { count: 0 } })).toThrow(/cluster\.clients\.count 0 is not a positive whole number/);
  });
});
