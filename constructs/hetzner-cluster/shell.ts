import { escapeTerraformTemplate } from "../core";

/** Words made only of these mean themselves to a POSIX shell; they stay unquoted, for readable plans. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/**
 * One word for a POSIX shell: single quotes keep every character literal (`;`, `$(`,
 * backticks, newlines, globs); an embedded `'` closes the quote, is escaped and reopens it.
 */
export function shellQuote(value: string): string {
  return PLAIN_WORD.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A command line for a remote-exec `inline` list (run by root on a host): each word quoted,
 * and the whole escaped for Terraform, which would otherwise interpolate a `${` in it.
 */
export function remoteCommand(...words: readonly string[]): string {
  return escapeTerraformTemplate(words.map(shellQuote).join(" "));
}
