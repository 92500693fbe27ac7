'use strict';
// x12_harness.js — what the Node peers of bench/x12_bench.c share: time
// passes over the X12 corpus, check that passes agree, print the JSON line.
//
// A peer passes a function that reads the whole file once, the way that
// library's users read a large file (streaming where the library can),
// and resolves to the counts it saw: interchanges, groups, sets,
// segments (envelopes included), elements (after the id, as written) and
// claims (837 CLM / 835 CLP), leaving out what the library does not
// expose. bench/report_x12.py checks each against hxe's.
//
// Reading the file is part of every pass (the corpus is in the page cache
// after the first): the peers read it as they would a file, hxe reads it
// mapped. No warm-up pass: one pass takes seconds, long enough for V8 to
// optimise during it. Passes are repeated until BENCH_MIN_SECONDS (2) and
// BENCH_MIN_PASSES (1 here) are both reached, or BENCH_MAX_SECONDS (20)
// have run; the median is reported.

const fs = require('fs');
const path = require('path');

function packageVersion(name) {
  const p = path.join(__dirname, 'node_modules', name, 'package.json');
  return JSON.parse(fs.readFileSync(p, 'utf8')).version;
}

// Reads the file in 4 MiB pieces and hands each complete interchange
// (ISA .. IEA with its terminator and line break) to fn as a latin1
// string, so a library without a streaming API still sees a file of any
// size in bounded memory. The delimiters come from the first ISA.
function eachInterchange(file, fn) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(4 << 20);
  let text = '';
  let es = '';
  let st = '';
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n > 0) text += buf.toString('latin1', 0, n);
      if (!es && text.length >= 106) {
        es = text[3];
        st = text[105];
      }
      let start = 0;
      for (;;) {
        let i = text.indexOf('IEA' + es, start);
        // a segment start: the text's start or just after a terminator / line break
        while (i > 0 && text[i - 1] !== st && text[i - 1] !== '\n' && text[i - 1] !== '\r') {
          i = text.indexOf('IEA' + es, i + 1);
        }
        if (i < 0) break;
        let end = text.indexOf(st, i);
        if (end < 0) break;
        end++;
        while (end < text.length && (text[end] === '\r' || text[end] === '\n')) end++;
        if (end === text.length && n > 0) break; // a line break may follow in the next piece
        fn(text.slice(start, end));
        start = end;
      }
      text = text.slice(start);
      if (n === 0) break;
    }
  } finally {
    fs.closeSync(fd);
  }
  if (text.trim().length) throw new Error('bytes after the last IEA');
}

const KEYS = ['interchanges', 'groups', 'sets', 'segments', 'elements', 'claims'];

function same(a, b) {
  return KEYS.every((k) => a[k] === b[k]);
}

async function run(tool, pkg, depth, work, onePass) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write(`usage: node ${path.basename(process.argv[1])} CORPUS\n`);
    process.exit(2);
  }
  const bytes = fs.statSync(file).size;
  const minS = Number(process.env.BENCH_MIN_SECONDS || 2);
  const minPasses = Number(process.env.BENCH_MIN_PASSES || 1);
  const maxS = Number(process.env.BENCH_MAX_SECONDS || 20);
  const times = [];
  let total = 0;
  let expect = null;
  while (times.length === 0 || ((times.length < minPasses || total < minS) && total < maxS)) {
    const t0 = process.hrtime.bigint();
    const got = await onePass(file);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    times.push(s);
    total += s;
    if (expect && !same(got, expect)) {
      process.stderr.write(`${tool}: passes disagree\n`);
      process.exit(1);
    }
    expect = got;
  }
  times.sort((a, b) => a - b);
  const half = Math.floor(times.length / 2);
  const med = times.length % 2 ? times[half] : (times[half - 1] + times[half]) / 2;
  const best = times[0];
  const r6 = (x) => Math.round(x * 1e6) / 1e6;
  const r3 = (x) => Math.round(x * 1e3) / 1e3;
  const out = {
    tool,
    version: packageVersion(pkg),
    runtime: `Node.js ${process.versions.node}`,
    depth,
    work,
    bytes,
    passes: times.length,
    seconds: r6(med),
    best_seconds: r6(best),
    mb_per_s: r3(bytes / med / 1e6),
    best_mb_per_s: r3(bytes / best / 1e6),
    peak_rss_kb: process.resourceUsage().maxRSS,
  };
  for (const k of KEYS) if (expect[k] !== undefined) out[k] = expect[k];
  process.stdout.write(JSON.stringify(out) + '\n');
}

module.exports = { run, eachInterchange, packageVersion };
