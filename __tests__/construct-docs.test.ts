import { join } from "node:path";
import { Library, PropRow, propsTable, readLibrary, renderPage, staleReference } from "../scripts/docs/construct-pages";

const ROOT = join(__dirname, "..");

/** A library of one interface, for the generator's own rules. */
function libraryOf(props: Record<string, PropRow[]>): Library {
  return { constructs: [], props: (name) => props[name] };
}

const IMAGE: PropRow = { name: "image", type: "string", optional: false, description: "Container image." };
const COUNT: PropRow = { name: "count", type: "number", optional: true, default: "1", description: "Instances." };

describe("docs/constructs (npm run docs)", () => {
  test("fails when a page is stale, an exported construct has no props table, or an optional prop has no @default", () => {
    expect(staleReference(ROOT, readLibrary(ROOT))).toEqual([]);
  });

  test("fails when a props table names an interface the package root does not export", () => {
    const page = "<!-- props: NoSuchProps -->\n<!-- /props -->\n";
    expect(renderPage(ROOT, libraryOf({}), page).problems).toEqual(["props table NoSuchProps: the package root exports no interface NoSuchProps"]);
  });

  test("fails when an optional prop documents no @default", () => {
    const page = "<!-- props: P -->\n<!-- /props -->\n";
    const { problems } = renderPage(ROOT, libraryOf({ P: [{ ...COUNT, default: undefined }] }), page);
    expect(problems).toEqual(["P.count is optional but has no @default: say what applies when it is left out"]);
  });

  test("rewrites a stale table from the interface: prop, type, default (required or @default), description", () => {
    const page = "# X\n\n<!-- props: P -->\n| old | table |\n<!-- /props -->\n";
    expect(renderPage(ROOT, libraryOf({ P: [IMAGE, COUNT] }), page)).toEqual({
      markdown: [
        "# X",
        "",
        "<!-- props: P -->",
        "",
        "| Prop | Type | Default | Description |",
        "|---|---|---|---|",
        "| `image` | `string` | required | Container image. |",
        "| `count` | `number` | 1 | Instances. |",
        "",
        "<!-- /props -->",
        "",
      ].join("\n"),
      problems: [],
    });
  });

  test("escapes pipes of union types and code spans holding backticks", () => {
    const table = propsTable([{ name: "mode", type: '"a" | "b"', optional: true, default: '`"a"`', description: "One of `a` | `b`." }]);
    expect(table.split("\n")[2]).toBe('| `mode` | `"a" \\| "b"` | `"a"` | One of `a` \\| `b`. |');
    expect(propsTable([{ ...IMAGE, type: "`${string}.md`" }]).split("\n")[2]).toBe("| `image` | `` `${string}.md` `` | required | Container image. |");
  });

  test("writes each example block as the file it names", () => {
    const page = "```ts\n// examples/public-hostname.ts\nstale\n```\n";
    const { markdown } = renderPage(ROOT, libraryOf({}), page);
    expect(markdown).toContain('new PublicHostname(stack, "Home"');
    expect(markdown).not.toContain("stale");
  });
});
