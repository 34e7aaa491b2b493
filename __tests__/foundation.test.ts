import { ENVIRONMENTS, dev, lab } from "../environments";
import { synthEnvironment } from "./support/synth";

describe("every environment", () => {
  it.each(ENVIRONMENTS.map((e) => [e.name, e] as const))("%s synthesizes its stacks in deploy order", (_name, env) => {
    const stacks = synthEnvironment(env);
    const expected = [`${env.name}-platform`, `${env.name}-workloads`];
    // A cluster someone else runs has its ACLs bootstrapped already; only built hosts have a hosts stack.
    if (env.cluster.kind !== "existing") expected.push(`${env.name}-acl`);
    if (env.cluster.kind === "hetzner" || env.cluster.kind === "ssh") expected.push(`${env.name}-hosts`);
    expect(Object.keys(stacks).sort()).toEqual(expected.sort());
  });
});

describe("lab", () => {
  const stacks = synthEnvironment(lab);

  it("pins every provider version", () => {
    expect(stacks["lab-hosts"].terraform.required_providers.hcloud).toEqual({
      source: "hetznercloud/hcloud",
      version: "1.68.0",
    });
    expect(stacks["lab-acl"].terraform.required_providers.random.version).toBe("3.7.2");
    expect(stacks["lab-platform"].terraform.required_providers.nomad).toEqual({ source: "nomad", version: "2.5.2" });
    expect(stacks["lab-platform"].terraform.required_providers.consul).toEqual({ source: "consul", version: "2.22.1" });
  });

  it("keeps state in relative files outside cdktf.out", () => {
    for (const [name, stack] of Object.entries(stacks)) {
      expect(stack.terraform.backend).toEqual({ local: { path: `../../../state/${name}.tfstate` } });
    }
  });

  it("configures the platform stack's providers from the acl stack's token by remote state", () => {
    const platform = stacks["lab-platform"];
    const remote = platform.data.terraform_remote_state;
    expect(remote["cross-stack-reference-input-lab-acl"].config.path).toBe("../../../state/lab-acl.tfstate");
    expect(platform.provider.nomad[0].secret_id).toMatch(
      /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-lab-acl\.outputs\.[^}]+\}$/,
    );
    expect(platform.provider.consul[0].token).toContain("cross-stack-reference-input-lab-acl");
  });

  it("exports the management tokens from the acl stack as sensitive outputs only", () => {
    const outputs = stacks["lab-acl"].output;
    for (const [name, output] of Object.entries<any>(outputs)) {
      // When tokens expire is no secret, as long as it names no secret's value.
      if (name === "token_expiry") {
        expect(JSON.stringify(output.value)).not.toMatch(/random_uuid|terraform_data|output\./);
        continue;
      }
      if (/token|secret/.test(name) || JSON.stringify(output.value).includes("random_uuid")) {
        expect(output.sensitive).toBe(true);
      }
    }
  });
});

describe("dev", () => {
  it("targets the local dev agents and has no hosts stack", () => {
    const stacks = synthEnvironment(dev);
    expect(stacks["dev-hosts"]).toBeUndefined();
    expect(stacks["dev-platform"].provider.nomad[0].address).toBe("http://127.0.0.1:4646");
    expect(stacks["dev-platform"].provider.consul[0].address).toBe("http://127.0.0.1:8500");
  });
});

describe("an environment with S3-compatible state", () => {
  it("keeps each stack's state at <prefix>/<stack>.tfstate in the bucket, path-style, without AWS-only checks", () => {
    const stacks = synthEnvironment({
      ...dev,
      state: { kind: "s3", bucket: "hashilab-state", endpoint: "https://fsn1.your-objectstorage.com", keyPrefix: "home" },
    });
    for (const [name, stack] of Object.entries(stacks)) {
      expect(stack.terraform.backend.s3).toMatchObject({
        bucket: "hashilab-state",
        key: `home/${name}.tfstate`,
        endpoints: { s3: "https://fsn1.your-objectstorage.com" },
        use_path_style: true,
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
      });
    }
    // Cross-stack references read the producing stack's state from the same bucket.
    const remote = stacks["dev-platform"].data.terraform_remote_state["cross-stack-reference-input-dev-acl"];
    expect(remote.backend).toBe("s3");
    expect(remote.config).toMatchObject({ bucket: "hashilab-state", key: "home/dev-acl.tfstate" });
  });
});
