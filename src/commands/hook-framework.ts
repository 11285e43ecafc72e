/**
 * The pre-commit framework (pre-commit.com) runs `migcheck hook <name>` itself, from its own git
 * hook: without git's arguments, and with git's stdin already read. It passes what git said in
 * PRE_COMMIT_* variables instead. This turns them back into what git hands a hook, so each hook
 * behaves the same under the framework as under Husky or a plain hook script.
 */
import { Readable } from 'node:stream';
import type { HookName } from '../core/hookfile.js';

export type FrameworkRun =
  /** Not run by the framework (or git's own arguments are there): nothing to translate. */
  | { kind: 'git' }
  /** The framework runs this hook for another stage (a stage-less hook runs at every stage). */
  | { kind: 'other-stage' }
  | { kind: 'framework'; args: string[]; stdin: NodeJS.ReadableStream | undefined; wholeIndex: boolean };

const ZERO = '0'.repeat(40);

/** Variables the framework sets only for one stage other than pre-commit. */
const OTHER_STAGES = ['PRE_COMMIT_REMOTE_NAME', 'PRE_COMMIT_IS_SQUASH_MERGE', 'PRE_COMMIT_REWRITE_COMMAND', 'PRE_COMMIT_CHECKOUT_TYPE', 'PRE_COMMIT_COMMIT_MSG_SOURCE'];

export function frameworkRun(name: HookName, args: readonly string[], env: NodeJS.ProcessEnv): FrameworkRun {
  // Git always passes arguments to pre-push, post-merge and post-rewrite; the framework never does.
  if (env.PRE_COMMIT !== '1' || args.length) return { kind: 'git' };
  switch (name) {
    case 'pre-commit':
    case 'pre-merge-commit': {
      if (OTHER_STAGES.some((key) => env[key] !== undefined)) return { kind: 'other-stage' };
      // Git names the index a commit hook guards. Without it this is `pre-commit run` by hand or in
      // CI (`--all-files`), where nothing is being committed: check the whole index, not only what
      // a commit would change.
      return { kind: 'framework', args: [], stdin: undefined, wholeIndex: env.GIT_INDEX_FILE === undefined };
    }
    case 'pre-push': {
      // A real push names the remote and the pushed commit; `pre-commit run --hook-stage push` by
      // hand names neither: the current branch, pushed to origin.
      const remote = env.PRE_COMMIT_REMOTE_NAME ?? 'origin';
      const localRef = env.PRE_COMMIT_LOCAL_BRANCH ?? 'HEAD';
      const localSha = env.PRE_COMMIT_TO_REF ?? localRef;
      const line = `${localRef} ${localSha} ${env.PRE_COMMIT_REMOTE_BRANCH ?? localRef} ${env.PRE_COMMIT_FROM_REF ?? ZERO}\n`;
      return { kind: 'framework', args: [remote, env.PRE_COMMIT_REMOTE_URL ?? remote], stdin: Readable.from([line]), wholeIndex: false };
    }
    case 'post-merge':
      if (env.PRE_COMMIT_IS_SQUASH_MERGE === undefined && OTHER_STAGES.some((key) => env[key] !== undefined)) return { kind: 'other-stage' };
      return { kind: 'framework', args: [env.PRE_COMMIT_IS_SQUASH_MERGE ?? '0'], stdin: undefined, wholeIndex: false };
    case 'post-rewrite':
      if (env.PRE_COMMIT_REWRITE_COMMAND === undefined && OTHER_STAGES.some((key) => env[key] !== undefined)) return { kind: 'other-stage' };
      return { kind: 'framework', args: [env.PRE_COMMIT_REWRITE_COMMAND ?? 'rebase'], stdin: undefined, wholeIndex: false };
  }
}
