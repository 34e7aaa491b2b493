import { Construct } from "constructs";
import { throwIfProblems } from "../core";
import { TlsCertRequest, TlsLocallySignedCert, TlsPrivateKey, TlsSelfSignedCert } from "../providers";
import { HostIdentity, hostConstructId } from "./host-plan";

export interface ClusterPkiProps {
  /** Shown in the CA's common name, e.g. the environment name. */
  readonly name: string;
  /** @default 87600 (10 years) */
  readonly caValidityHours?: number;
  /** @default 8760 (1 year) */
  readonly hostCertificateValidityHours?: number;
  /** Terraform plans a new host certificate this long before expiry. @default 720 (30 days) */
  readonly hostCertificateEarlyRenewalHours?: number;
  /**
   * Which CA signs the hosts' certificates. Raising it by one rotates the CA in one deploy:
   * every host first trusts the old and the new CA, then gets a certificate from the new one,
   * then stops trusting the old one, host by host behind the health gate (ca-rotation.ts).
   * The previous generation's CA stays in state (and in `trustedCaPem`) until the next rotation.
   * @default 1
   */
  readonly caGeneration?: number;
}

/** The names and addresses one host's certificate is valid for. */
export interface HostCertificateSubject {
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

/** A host's certificate and key: Terraform references, delivered over SSH, never in user-data. */
export interface HostCertificate {
  readonly certPem: string;
  readonly privateKeyPem: string;
}

/** A CA rotation the hosts go through in this deploy (absent at generation 1). */
export interface CaRotation {
  /** The generation being rotated to (ClusterPkiProps.caGeneration). */
  readonly generation: number;
  /** The previous CA's certificate, then the new one's: what every host trusts while the certificates change. */
  readonly bundlePem: string;
}

/** A CA generation's construct ids: generation 1 keeps the ids the CA had before rotations existed. */
function caIds(generation: number): { key: string; cert: string } {
  const suffix = generation === 1 ? "" : `-${generation}`;
  return { key: `CaKey${suffix}`, cert: `Ca${suffix}` };
}

/**
 * The cluster's own CA and the agents' certificates, kept in Terraform state (mark the state
 * as secret: docs/operations.md). Renewing a certificate re-delivers it; no server is replaced.
 */
export class ClusterPki extends Construct {
  /** The CA certificate (public) that signs the hosts' certificates; the hosts trust only it once a rotation is over. */
  readonly caCertPem: string;
  /**
   * What API clients (the Nomad/Consul providers, the acl stack, operators' CLIs) trust: the
   * current CA, after a rotation also the previous one, so a client never meets a host
   * certificate it cannot verify, whichever step of a rotation a host is at.
   */
  readonly trustedCaPem: string;
  /** The rotation in this configuration. @default absent at generation 1 */
  readonly rotation?: CaRotation;
  /**
   * When each certificate expires (RFC 3339, references), by common name; "ca" is the CA.
   * Filled as hosts are issued certificates.
   */
  readonly certificateExpiries: Record<string, string> = {};
  private readonly caKey: TlsPrivateKey;
  private readonly props: ClusterPkiProps;
  private readonly issued = new Map<string, HostCertificate>();

  constructor(scope: Construct, id: string, props: ClusterPkiProps) {
    super(scope, id);
    this.props = props;
    const generation = props.caGeneration ?? 1;
    throwIfProblems(
      this,
      "invalid cluster PKI",
      Number.isInteger(generation) && generation >= 1 && generation <= 1000
        ? []
        : [`caGeneration ${generation} must be a whole number from 1 to 1000; raise it by exactly one to rotate the CA`],
    );
    const current = this.addCa(generation);
    this.caKey = current.key;
    this.caCertPem = current.cert.certPem;
    this.certificateExpiries.ca = current.cert.validityEndTime;
    if (generation > 1) {
      // The previous CA stays in state: hosts that have not switched yet present its certificates.
      const previous = this.addCa(generation - 1);
      this.rotation = { generation, bundlePem: `${previous.cert.certPem}${this.caCertPem}` };
      this.trustedCaPem = this.rotation.bundlePem;
    } else {
      this.trustedCaPem = this.caCertPem;
    }
  }

  /** Issues a server+client TLS certificate (agents are both to each other) for `host`: ServerKey-1, ServerRequest-1, ServerCert-1. */
  issueHostCertificate(host: HostIdentity, subject: HostCertificateSubject): HostCertificate {
    const key = new TlsPrivateKey(this, hostConstructId(host, "Key"), { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const request = new TlsCertRequest(this, hostConstructId(host, "Request"), {
      privateKeyPem: key.privateKeyPem,
      subject: [{ commonName: subject.commonName, organization: "hashilab" }],
      dnsNames: [...subject.dnsNames],
      ipAddresses: [...subject.ipAddresses],
    });
    // A new CA key replaces the certificate (the key stays): the rotation's "issue" step delivers it.
    const cert = new TlsLocallySignedCert(this, hostConstructId(host, "Cert"), {
      certRequestPem: request.certRequestPem,
      caPrivateKeyPem: this.caKey.privateKeyPem,
      caCertPem: this.caCertPem,
      validityPeriodHours: this.props.hostCertificateValidityHours ?? 8760,
      earlyRenewalHours: this.props.hostCertificateEarlyRenewalHours ?? 720,
      allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
    });
    this.certificateExpiries[subject.commonName] = cert.validityEndTime;
    const issued = { certPem: cert.certPem, privateKeyPem: key.privateKeyPem };
    this.issued.set(hostConstructId(host), issued);
    return issued;
  }

  /** The certificate issued to `host` (issueHostCertificate), for the rotation's deliveries. */
  certificateOf(host: HostIdentity): HostCertificate | undefined {
    return this.issued.get(hostConstructId(host));
  }

  private addCa(generation: number): { key: TlsPrivateKey; cert: TlsSelfSignedCert } {
    const ids = caIds(generation);
    const key = new TlsPrivateKey(this, ids.key, { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const cert = new TlsSelfSignedCert(this, ids.cert, {
      privateKeyPem: key.privateKeyPem,
      isCaCertificate: true,
      setSubjectKeyId: true,
      validityPeriodHours: this.props.caValidityHours ?? 87600,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      // The generation in the name tells the two CAs of a rotation apart (generation 1 keeps its name).
      subject: [{ commonName: `${this.props.name} hashilab CA${generation === 1 ? "" : ` ${generation}`}`, organization: "hashilab" }],
    });
    return { key, cert };
  }
}
