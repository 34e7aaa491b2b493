import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A CLI's commands at a pinned release, each with its flags: "bool" takes no separate value. */
export interface CliTable {
  readonly cli: "nomad" | "consul";
  readonly version: string;
  readonly source: string;
  readonly commands: Readonly<Record<string, Readonly<Record<string, "bool" | "value">>>>;
}

export const CLI_TABLES: Record<"nomad" | "consul", CliTable> = {
  nomad: JSON.parse(readFileSync(join(__dirname, "../../scripts/runbooks/cli/nomad.json"), "utf8")),
  consul: JSON.parse(readFileSync(join(__dirname, "../../scripts/runbooks/cli/consul.json"), "utf8")),
};

/** One `nomad` or `consul` command line found in a document. */
export interface DocCommand {
  readonly file: string;
  readonly line: number;
  /** Its words, quotes removed, the CLI first. */
  readonly words: readonly string[];
  /** It runs on a host through `ssh host '...'`, not on the operator's machine. */
  readonly overSsh: boolean;
  /** It was in a fenced shell block (not an inline code span). */
  readonly fenced: boolean;
}

const SHELL_FENCES = new Set(["", "sh", "bash", "shell", "console"]);
/** Words that run the command after them. */
const PREFIXES = new Set(["sudo", "env", "exec", "time", "command"]);

/**
 * Splits shell text into simple commands (word lists): `;`, `&&`, `||`, `|`, `&`, newlines,
 * parentheses and `$(...)` separate them; quotes group words and are removed; `#` starts a
 * comment at a word's start. Enough for documentation, not a shell.
 */
export function simpleCommands(text: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      const quoted = text.slice(i + 1, end === -1 ? text.length : end);
      word = (word ?? "") + quoted;
      // A command substitution inside double quotes is a command too.
      if (c === '"') for (const m of quoted.matchAll(/\$\(([^()]*)\)/g)) commands.push(...simpleCommands(m[1]));
      i = end === -1 ? text.length : end;
    } else if (c === "\\" && text[i + 1] === "\n") {
      i++;
    } else if (c === "#" && word === undefined) {
      const end = text.indexOf("\n", i);
      i = end === -1 ? text.length : end - 1;
    } else if (c === "$" && text[i + 1] === "(") {
      endCommand();
      i++;
    } else if (";&|()\n".includes(c)) {
      endCommand();
    } else if (c === " " || c === "\t") {
      endWord();
    } else {
      word = (word ?? "") + c;
    }
  }
  endCommand();
  return commands;
}

/** The `nomad`/`consul` commands of shell text, following `ssh host '...'` into the host. */
function cliCommands(text: string, overSsh: boolean): Array<{ words: string[]; overSsh: boolean }> {
  const found: Array<{ words: string[]; overSsh: boolean }> = [];
  for (let words of simpleCommands(text)) {
    while (words.length > 0 && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]) || PREFIXES.has(words[0]))) words = words.slice(1);
    if (words[0] === "ssh") {
      // ssh [options] host command...: options with a value take the next word.
      let i = 1;
      while (i < words.length && words[i].startsWith("-")) i += /^-[bcDEeFIiJLlmOoPpQRSWw]$/.test(words[i]) ? 2 : 1;
      if (i + 1 < words.length) found.push(...cliCommands(words.slice(i + 1).join(" "), true));
    } else if (words[0] === "nomad" || words[0] === "consul") {
      found.push({ words, overSsh });
    }
  }
  return found;
}

/** Every `nomad`/`consul` command of a Markdown document: fenced shell blocks and inline code. */
export function docCommands(markdown: string, file: string): DocCommand[] {
  const found: DocCommand[] = [];
  const lines = markdown.split("\n");
  let fence: { lang: string; start: number; body: string[] } | undefined;
  lines.forEach((line, index) => {
    const marker = /^\s*```(\w*)/.exec(line);
    if (marker && !fence) {
      fence = { lang: marker[1], start: index + 2, body: [] };
      return;
    }
    if (marker && fence) {
      if (SHELL_FENCES.has(fence.lang)) {
        // Line numbers: each command is reported at the line it starts on.
        let offset = 0;
        for (const text of fence.body.join("\n").split(/(?<!\\)\n/)) {
          for (const c of cliCommands(text, false)) found.push({ file, line: fence.start + offset, ...c, fenced: true });
          offset += text.split("\n").length;
        }
      }
      fence = undefined;
      return;
    }
    if (fence) {
      fence.body.push(line);
      return;
    }
    for (const span of line.matchAll(/`([^`]+)`/g)) {
      // Prose also quotes HCL (`consul { token = ... }`) and type unions: a command has a word after the CLI.
      for (const c of cliCommands(span[1], false)) if (/^-{0,2}[a-z]/.test(c.words[1] ?? "")) found.push({ file, line: index + 1, ...c, fenced: false });
    }
  });
  return found;
}

/** Commands whose arguments after the first positional one belong to another program. */
const PASS_THROUGH = new Set(["nomad alloc exec", "nomad action", "consul exec"]);

/**
 * What is wrong with `command` against the pinned CLI: a command it lacks, a flag the command
 * lacks, or a flag after the first argument (Go's flag package stops parsing there, so the CLI
 * would take it as an argument).
 */
export function cliProblems(command: DocCommand): string[] {
  const [cli, ...rest] = command.words;
  const table = CLI_TABLES[cli as "nomad" | "consul"];
  const where = `${command.file}:${command.line}: \`${command.words.join(" ")}\``;
  let depth = 0;
  for (let n = 1; n <= rest.length; n++) {
    if (table.commands[rest.slice(0, n).join(" ")]) depth = n;
  }
  if (depth === 0) {
    return rest.length === 0 || rest[0].startsWith("-") ? [] : [`${where}: ${cli} ${table.version} has no command "${rest[0]}"`];
  }
  const name = rest.slice(0, depth).join(" ");
  const flags = table.commands[name];
  const args = rest.slice(depth);
  // A group (a command with subcommands) followed by a word that is none of them.
  if (args.length > 0 && !args[0].startsWith("-") && Object.keys(table.commands).some((c) => c.startsWith(`${name} `))) {
    return [`${where}: ${cli} ${table.version} has no command "${name} ${args[0]}"`];
  }
  const problems: string[] = [];
  let positional = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") break;
    if (!arg.startsWith("-") || arg === "-") {
      positional = true;
      if (PASS_THROUGH.has(`${cli} ${name}`)) break;
      continue;
    }
    const flag = arg.replace(/^--?/, "").split("=")[0];
    if (positional) {
      problems.push(`${where}: flag -${flag} comes after an argument; \`${cli} ${name}\` stops reading flags at the first argument, so put it before`);
      continue;
    }
    const kind = flags[flag];
    if (!kind) {
      problems.push(`${where}: \`${cli} ${name}\` has no flag -${flag} in ${cli} ${table.version}`);
      continue;
    }
    if (kind === "value" && !arg.includes("=")) i++;
  }
  return problems;
}
