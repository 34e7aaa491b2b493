import { TerraformStack } from "cdktf";
import { HetznerCluster } from "hashilab";

/** Three cx23 servers in nbg1 that are also clients: a small cluster wastes no host on servers alone. */
export function labCluster(stack: TerraformStack): HetznerCluster {
  return new HetznerCluster(stack, "Cluster", {
    name: "lab",
    operatorCidrs: ["198.51.100.7/32"],
    sshKeys: [
      {
        name: "operator",
        publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKBn0Jv4/LO496vXGweYpXFyRLuAcHNM3Nh3GvKf1/c0 operator@example",
      },
    ],
    nomadVersion: "2.0.5",
    consulVersion: "1.21.5",
  });
}
