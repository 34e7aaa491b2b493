import { dirname } from "node:path";
import ts from "typescript";

/** What `tsc --noEmit -p <tsconfig>` prints (tsc's own diagnostics, as it formats them in a pipe), and the program it checked. */
export interface TypeCheck {
  readonly output: string;
  readonly program: ts.Program;
}

export interface TypeCheckOptions {
  /** Compiler options given on the command line (`--strict`). */
  readonly extend?: ts.CompilerOptions;
  /**
   * Only these files' type errors (every file is still parsed, and its syntax checked); the
   * checker still reads whatever they use from the rest of the program. @default every file
   */
  readonly only?: readonly string[];
  /** An earlier check of the same project: files whose text has not changed are not parsed again. */
  readonly after?: TypeCheck;
}

/**
 * The project's TypeScript compiler, in the test's process, on the project of `tsconfig`: the
 * diagnostics `tsc --noEmit -p` reports (tsc's emitFilesAndReportErrors, in its order), without
 * starting a node process and loading TypeScript for each check, and with an earlier check's
 * parsed files reused, as tsc's watch mode does.
 */
export function typeCheck(tsconfig: string, options: TypeCheckOptions = {}): TypeCheck {
  const dir = dirname(tsconfig);
  const config = ts.getParsedCommandLineOfConfigFile(tsconfig, { ...options.extend, noEmit: true }, {
    ...ts.sys,
    getCurrentDirectory: () => dir,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  })!;
  const host = ts.createCompilerHost(config.options);
  host.getCurrentDirectory = () => dir;
  const earlier = options.after?.program;
  if (earlier) {
    const getSourceFile = host.getSourceFile;
    host.getSourceFile = (fileName, ...rest) => {
      const old = earlier.getSourceFile(fileName);
      return old && old.text === host.readFile(fileName) ? old : getSourceFile.call(host, fileName, ...rest);
    };
  }
  const program = ts.createProgram({
    rootNames: config.fileNames,
    options: config.options,
    projectReferences: config.projectReferences,
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(config),
    host,
    oldProgram: earlier,
  });
  // As tsc reports them: a later kind only when the earlier ones found nothing.
  const diagnostics = [...program.getConfigFileParsingDiagnostics()];
  const configErrors = diagnostics.length;
  diagnostics.push(...program.getSyntacticDiagnostics());
  if (diagnostics.length === configErrors) {
    diagnostics.push(...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics());
    if (diagnostics.length === configErrors) {
      const files = options.only?.map((file) => program.getSourceFile(file) ?? missing(file));
      diagnostics.push(...(files ? files.flatMap((file) => program.getSemanticDiagnostics(file)) : program.getSemanticDiagnostics()));
    }
  }
  const formatHost: ts.FormatDiagnosticsHost = { getCurrentDirectory: () => dir, getNewLine: () => "\n", getCanonicalFileName: (name) => name };
  return { output: ts.sortAndDeduplicateDiagnostics(diagnostics).map((d) => ts.formatDiagnostic(d, formatHost)).join(""), program };
}

function missing(file: string): never {
  throw new Error(`${file} is not in the program`);
}
