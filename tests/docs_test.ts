// The documentation as a new operator reads it: page one fits in 12 KB, every link and anchor resolves, and
// the first deploy example gives the password before `make plan`. Generated blocks have their own tests
// (diagram_test, config_test, recovery_budget_test).
import assert from "node:assert/strict";
import { PROJECT_ROOT } from "./helpers.ts";

const README = `${PROJECT_ROOT}/README.md`;
const DOCS = [...Deno.readDirSync(`${PROJECT_ROOT}/docs`)].filter((entry) => entry.name.endsWith(".md"))
  .map((entry) => `${PROJECT_ROOT}/docs/${entry.name}`).sort();

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

function anchorsOf(path: string): Set<string> {
  const text = Deno.readTextFileSync(path).replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchor(match[1])));
}

Deno.test("README.md (page one) stays under 12 KB", () => {
  const bytes = Deno.statSync(README).size;
  assert.ok(bytes < 12 * 1024, `README.md is ${bytes} bytes: move detail to docs/`);
});

Deno.test("every relative link in README.md and docs/ reaches a file, and its #anchor a heading there", () => {
  for (const path of [README, ...DOCS]) {
    const text = Deno.readTextFileSync(path).replace(/```[\s\S]*?```/g, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [file, fragment] = target.split("#");
      const resolved = file ? new URL(file, `file://${path}`).pathname : path;
      assert.ok(
        (() => {
          try {
            return Deno.statSync(resolved).isFile;
          } catch {
            return false;
          }
        })(),
        `${path}: link ${target} reaches no file`,
      );
      if (fragment) assert.ok(anchorsOf(resolved).has(fragment), `${path}: no heading for #${fragment}`);
    }
  }
});

Deno.test("README's first deploy example sets the password before make plan, and links every docs page", () => {
  const readme = Deno.readTextFileSync(README);
  const example = /```sh\n([\s\S]*?make plan[\s\S]*?)```/.exec(readme.slice(readme.indexOf("## Deploy")))
    ?.[1];
  assert.ok(example, "no deploy example");
  const password = example.indexOf("export TF_VAR_db_master_password");
  assert.ok(password >= 0 && password < example.indexOf("make plan"), example);
  for (const doc of DOCS) {
    const name = doc.slice(PROJECT_ROOT.length + 1);
    assert.ok(readme.includes(`](${name}`), `README does not link ${name}`);
  }
});
