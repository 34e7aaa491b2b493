// One process that answers every call of a test file's stand-in commands (support/stand-in.ts):
// node stand-in-server.mjs HANDLER PORT_FILE. The commands are links to stand-in-client.sh, a
// bash client that sends its command line here over TCP, which costs a fraction of starting
// node for each call. HANDLER is a module whose answer(call) runs one command: call.command,
// call.args, call.env (the variables the client was told to send), call.stdin; it prints to
// call.stdout / call.stderr (call.write and call.out append to stdout) and ends with call.exit /
// call.fail (else it exits 0). Calls are answered one at a time, synchronously, in the client's
// working directory.
import { renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";

const [handlerFile, portFile] = process.argv.slice(2);
const { answer } = await import(handlerFile);

/** How a call ends: call.exit and call.fail throw it. */
class Exit {
  constructor(code) {
    this.code = code;
  }
}

function run({ command, args, cwd, env, stdin }) {
  process.chdir(cwd);
  const call = {
    command,
    args,
    env,
    stdin,
    stdout: "",
    stderr: "",
    write: (text) => (call.stdout += text),
    out: (text) => call.write(`${text}\n`),
    exit: (code) => {
      throw new Exit(code);
    },
    fail: (text, code = 1) => {
      call.stderr += `${text}\n`;
      call.exit(code);
    },
  };
  let code = 0;
  try {
    answer(call);
  } catch (error) {
    if (!(error instanceof Exit)) throw error;
    code = error.code;
  }
  return { code, stdout: call.stdout, stderr: call.stderr };
}

/**
 * A call as stand-in-client.sh sends it, NUL-terminated fields: the number of arguments, the
 * command and its arguments, the working directory, the number of variables and each as
 * NAME=VALUE, the length of standard input in bytes; then standard input. Undefined until all
 * of it has arrived.
 */
function parseCall(buffer) {
  let at = 0;
  const fields = (count) => {
    const read = [];
    while (read.length < count) {
      const end = buffer.indexOf(0, at);
      if (end < 0) return undefined;
      read.push(buffer.toString("utf8", at, end));
      at = end + 1;
    }
    return read;
  };
  const [argc] = fields(1) ?? [];
  if (argc === undefined) return undefined;
  const commandLine = fields(Number(argc) + 2);
  const [variableCount] = (commandLine && fields(1)) ?? [];
  if (variableCount === undefined) return undefined;
  const variables = fields(Number(variableCount));
  const [stdinBytes] = (variables && fields(1)) ?? [];
  if (stdinBytes === undefined || buffer.length < at + Number(stdinBytes)) return undefined;
  const [command, ...args] = commandLine;
  const cwd = args.pop();
  const env = Object.fromEntries(variables.map((v) => [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)]));
  return { command, args, cwd, env, stdin: buffer.toString("utf8", at, at + Number(stdinBytes)) };
}

const server = createServer((socket) => {
  let received = Buffer.alloc(0);
  socket.on("error", () => socket.destroy());
  socket.on("data", (chunk) => {
    received = Buffer.concat([received, chunk]);
    const request = parseCall(received);
    if (!request) return;
    let result;
    try {
      result = run(request);
    } catch (error) {
      // A bug of the stand-in shows in the test's output, not as a hang.
      result = { code: 99, stdout: "", stderr: `${handlerFile}: ${error.stack}\n` };
    }
    // The client reads the lengths in bytes, then exactly that many bytes of each stream.
    socket.end(`${result.code}\n${Buffer.byteLength(result.stdout)}\n${Buffer.byteLength(result.stderr)}\n${result.stdout}${result.stderr}`);
  });
});
server.listen(0, "127.0.0.1", () => {
  writeFileSync(`${portFile}.tmp`, String(server.address().port));
  renameSync(`${portFile}.tmp`, portFile);
});
// The test file that started the server holds the other end of its stdin: it ends when that file's process does.
process.stdin.on("end", () => process.exit(0)).resume();
