// trino-parse checks SQL against dt-sql-parser's Trino grammar.
//
// Athena runs queries (DML) on Trino but table DDL on Hive, so
// `--dialect hive` checks DDL with dt-sql-parser's Hive grammar instead.
//
// Usage:
//   node dist/trino-parse.cjs < file.sql
//       reads SQL text (one or more statements) and prints
//       {"errors":[{"line":..,"column":..,"message":..}, ...]};
//       exits 1 when there is a syntax error, 0 otherwise.
//   node dist/trino-parse.cjs --batch < array.json
//       reads a JSON array of SQL texts and prints a JSON array holding,
//       for each text, its list of errors; exits 1 when any text has one.
import fs from 'node:fs';
import { HiveSQL, TrinoSQL } from 'dt-sql-parser';

function readStdin() {
  const chunks = [];
  let buf = Buffer.alloc(1 << 16);
  for (;;) {
    let n;
    try {
      n = fs.readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      if (e.code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function check(parser, sql) {
  return parser.validate(sql).map((e) => ({
    line: e.startLine,
    column: e.startColumn,
    message: e.message,
  }));
}

const dialect = process.argv.includes('--dialect')
  ? process.argv[process.argv.indexOf('--dialect') + 1]
  : 'trino';
let parser;
if (dialect === 'trino') {
  parser = new TrinoSQL();
} else if (dialect === 'hive') {
  parser = new HiveSQL();
} else {
  process.stderr.write(`trino-parse: unknown dialect ${JSON.stringify(dialect)} (use trino or hive)\n`);
  process.exit(2);
}
const input = readStdin();
let failed = false;
if (process.argv.includes('--batch')) {
  const texts = JSON.parse(input);
  const out = texts.map((sql) => {
    const errs = check(parser, sql);
    if (errs.length > 0) failed = true;
    return errs;
  });
  process.stdout.write(JSON.stringify(out) + '\n');
} else {
  const errs = check(parser, input);
  failed = errs.length > 0;
  process.stdout.write(JSON.stringify({ errors: errs }) + '\n');
}
process.exitCode = failed ? 1 : 0;
