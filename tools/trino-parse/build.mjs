// build.mjs bundles src/main.mjs and dt-sql-parser's ESM build into one
// CommonJS file, dist/trino-parse.cjs, that plain node runs.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/main.mjs'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  outfile: 'dist/trino-parse.cjs',
  logLevel: 'warning',
});
