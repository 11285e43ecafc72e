// npm's `prepare`: build dist/ with tsc, printing nothing unless it fails. When npm prepares this
// repository as a git dependency of a global install (pre-commit 4.7 installs a hook with
// `npm install -g git+file://…`), it installs no devDependencies in the clone first; then this
// installs them (locally, without scripts, quietly) before building.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = `${root}node_modules/typescript/bin/tsc`;
const quiet = { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] };
if (!existsSync(tsc)) {
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  execFileSync(npm[0], [...npm.slice(1), 'ci', '--prefix', root, '--global=false', '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], quiet);
}
execFileSync(process.execPath, [tsc, '-p', `${root}tsconfig.json`], { cwd: root, stdio: 'inherit' });
