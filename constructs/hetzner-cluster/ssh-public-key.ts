/** Key types OpenSSH writes into `.pub` files, which Hetzner accepts for hcloud_ssh_key. */
const PUBLIC_KEY_TYPES = [
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
];

/**
 * Why `text` is not an OpenSSH public key line ("<type> <base64 blob> [comment]"), or
 * undefined when it is one. The blob must decode and start with its own key type, which is
 * how OpenSSH encodes it, so truncated or garbled keys are caught at synth, not at boot.
 */
export function sshPublicKeyProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (/PRIVATE KEY/.test(trimmed)) {
    return "is a private key; paste the public key instead (the one-line content of the .pub file, e.g. ~/.ssh/id_ed25519.pub) and keep the private key off this repository";
  }
  if (trimmed.includes("\n")) return "spans several lines; an OpenSSH public key is one line";
  const [type, blob] = trimmed.split(/\s+/);
  if (!PUBLIC_KEY_TYPES.includes(type)) {
    return `does not start with a public key type (${PUBLIC_KEY_TYPES.join(", ")}); paste the .pub file's line`;
  }
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return `has no base64 key data after "${type}"`;
  const decoded = Buffer.from(blob, "base64");
  const declaredLength = decoded.length >= 4 ? decoded.readUInt32BE(0) : -1;
  const wrongType = declaredLength !== type.length || decoded.subarray(4, 4 + declaredLength).toString("latin1") !== type;
  // An ed25519 key is exactly its type and a 32-byte point (RFC 8709): anything else is cut off.
  const badEd25519 = type === "ssh-ed25519" && (decoded.length !== 4 + type.length + 4 + 32 || decoded.readUInt32BE(4 + type.length) !== 32);
  return wrongType || badEd25519 ? `has key data that is not a "${type}" key (truncated or mixed up?)` : undefined;
}
