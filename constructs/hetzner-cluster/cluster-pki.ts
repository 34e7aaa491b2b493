import { Construct } from "constructs";
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

/**
 * The cluster's own CA and the agents' certificates, kept in Terraform state (mark the state
 * as secret: docs/operations.md). Renewing a certificate re-delivers it; no server is replaced.
 */
export class ClusterPki extends Construct {
  /** The CA certificate (public): agents, the Nomad/Consul providers and operators trust it. */
  readonly caCertPem: string;
  /**
   * When each certificate expires (RFC 3339, references), by common name; "ca" is the CA.
   * Filled as hosts are issued certificates.
   */
  readonly certificateExpiries: Record<string, string> = {};
  private readonly caKey: TlsPrivateKey;
  private readonly props: ClusterPkiProps;

  constructor(scope: Construct, id: string, props: ClusterPkiProps) {
    super(scope, id);
    this.props = props;
    this.caKey = new TlsPrivateKey(this, "CaKey", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const ca = new TlsSelfSignedCert(this, "Ca", {
      privateKeyPem: this.caKey.privateKeyPem,
      isCaCertificate: true,
      setSubjectKeyId: true,
      validityPeriodHours: props.caValidityHours ?? 87600,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      subject: [{ commonName: `${props.name} hashilab CA`, organization: "hashilab" }],
    });
    this.caCertPem = ca.certPem;
    this.certificateExpiries.ca = ca.validityEndTime;
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
    const cert = new TlsLocallySignedCert(this, hostConstructId(host, "Cert"), {
      certRequestPem: request.certRequestPem,
      caPrivateKeyPem: this.caKey.privateKeyPem,
      caCertPem: this.caCertPem,
      validityPeriodHours: this.props.hostCertificateValidityHours ?? 8760,
      earlyRenewalHours: this.props.hostCertificateEarlyRenewalHours ?? 720,
      allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
    });
    this.certificateExpiries[subject.commonName] = cert.validityEndTime;
    return { certPem: cert.certPem, privateKeyPem: key.privateKeyPem };
  }
}
