import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** scripts/build/ts-loader.cjs: how cdktf.json's app runs main.ts (transpiled once, then cached). */
const LOADER = join(__dirname, "..", "scripts", "build", "ts-loader.cjs");

describe("the TypeScript loader of cdktf.json's app", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), `hashilab-ts-loader-${process.pid}-`))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (main: string) => {
    const result = spawnSync(process.execPath, ["--require", LOADER, main], { cwd: dir, encoding: "utf8" });
    expect(result.stderr).toBe("");
    return result.stdout;
  };

  it("runs TypeScript modules required without extension (types erased, class fields initialised)", () => {
    writeFileSync(join(dir, "shape.ts"), "export interface Shape { readonly sides: number }\nexport class Square implements Shape { readonly sides: number = 4; label = `${this.sides} sides`; }\n");
    writeFileSync(join(dir, "main.ts"), 'import type { Shape } from "./shape";\nimport { Square } from "./shape";\nconst s: Shape = new Square();\nconsole.log(JSON.stringify({ ...s }));\n');
    expect(run("main.ts")).toBe('{"sides":4,"label":"4 sides"}\n');
  });

  it("resolves ./name to name.ts before name.json, as TypeScript does", () => {
    writeFileSync(join(dir, "fixture.json"), '{ "from": "json" }');
    writeFileSync(join(dir, "fixture.ts"), 'import data from "./fixture.json";\nexport const from = `ts, beside ${data.from}`;\n');
    writeFileSync(join(dir, "main.ts"), 'import { from } from "./fixture";\nconsole.log(from);\n');
    expect(run("main.ts")).toBe("ts, beside json\n");
  });

  it("loads a TypeScript module with import(), as tsc's CommonJS output does", () => {
    writeFileSync(join(dir, "command.ts"), "export const run = (): number => 7;\n");
    writeFileSync(join(dir, "main.ts"), 'void import("./command").then((m) => console.log(m.run()));\n');
    expect(run("main.ts")).toBe("7\n");
  });

  it("runs the changed source when a file changes (the cache is keyed by its content)", () => {
    const id = `${process.pid}-${Date.now()}`;
    writeFileSync(join(dir, "main.ts"), `const n: number = 1;\nconsole.log("${id}", n);\n`);
    expect(run("main.ts")).toBe(`${id} 1\n`);
    writeFileSync(join(dir, "main.ts"), `const n: number = 2;\nconsole.log("${id}", n);\n`);
    expect(run("main.ts")).toBe(`${id} 2\n`);
  });

  it("names the TypeScript file in stack traces, and its line with source maps on", () => {
    writeFileSync(join(dir, "main.ts"), "interface A {\n  a: number;\n}\n\nconst a: A = { a: 1 };\nthrow new Error(`boom ${a.a}`);\n");
    const plain = spawnSync(process.execPath, ["--require", LOADER, "main.ts"], { cwd: dir, encoding: "utf8" });
    expect(plain.stderr).toContain(`${join(dir, "main.ts")}:`);
    const mapped = spawnSync(process.execPath, ["--enable-source-maps", "--require", LOADER, "main.ts"], { cwd: dir, encoding: "utf8" });
    expect(mapped.stderr).toContain(`${join(dir, "main.ts")}:6`);
  });
});
