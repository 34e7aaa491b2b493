/**
 * Server types Hetzner deprecated at the end of 2025 (CX Gen 2, CPX Gen 1), each with the
 * current type of the same size. New servers of these types cannot be ordered any more.
 */
const DEPRECATED_SERVER_TYPES: Readonly<Record<string, string>> = {
  cx22: "cx23",
  cx32: "cx33",
  cx42: "cx43",
  cx52: "cx53",
  cpx11: "cpx12",
  cpx21: "cpx22",
  cpx31: "cpx32",
  cpx41: "cpx42",
  cpx51: "cpx52",
};

/** The current replacement when `serverType` is deprecated, else undefined. */
export function replacementForDeprecatedServerType(serverType: string): string | undefined {
  return DEPRECATED_SERVER_TYPES[serverType.toLowerCase()];
}
