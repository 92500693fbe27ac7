'use strict';
// fhir_harness.js — what the Node peers of bench/fhir_validate_bench.c
// share: read the resource set hxe wrote (one JSON resource per line),
// time validation passes, print the JSON line.
//
// Each peer passes a function that validates one parsed resource the way
// that library's users call it and returns the error messages it found
// (an empty array when it judged the resource valid). JSON.parse happens
// before the clock starts, as hxe reads its set before timing; only the
// validation calls are timed. One warm-up pass (it also lets V8
// optimise), then timed passes until BENCH_MIN_SECONDS (2) and
// BENCH_MIN_PASSES (3) are both reached, or BENCH_MAX_SECONDS (20) of
// timed passes have run; the median is reported. Every pass must find
// the same number of errors.
//
// Besides the speed, the line says what the tool judged: how many
// resources it found errors in, how many errors, and the five most
// frequent error messages (with array indexes and quoted values cut out,
// so they group) for the report to show.

const fs = require('fs');
const path = require('path');

function packageVersion(name) {
  const p = path.join(__dirname, 'node_modules', name, 'package.json');
  return JSON.parse(fs.readFileSync(p, 'utf8')).version;
}

function onePass(resources, validateOne, kinds) {
  let withErrors = 0;
  let errors = 0;
  for (let i = 0; i < resources.length; i++) {
    const msgs = validateOne(resources[i]);
    if (msgs.length) {
      withErrors++;
      errors += msgs.length;
      if (kinds) {
        for (const m of msgs) {
          const k = `${resources[i].resourceType}: ${String(m)
            .replace(/\[\d+\]/g, '[n]')
            .replace(/"[^"]*"|'[^']*'/g, '"..."')
            .slice(0, 140)}`;
          kinds.set(k, (kinds.get(k) || 0) + 1);
        }
      }
    }
  }
  return { withErrors, errors };
}

function run(tool, pkg, validateOne) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write(`usage: node ${path.basename(process.argv[1])} SET\n`);
    process.exit(2);
  }
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length);
  const resources = lines.map((l) => JSON.parse(l));
  let nbytes = 0;
  for (const l of lines) nbytes += Buffer.byteLength(l, 'utf8') + 1;
  const loadRss = process.resourceUsage().maxRSS;

  const minS = Number(process.env.BENCH_MIN_SECONDS || 2);
  const minPasses = Number(process.env.BENCH_MIN_PASSES || 3);
  const maxS = Number(process.env.BENCH_MAX_SECONDS || 20);
  const kinds = new Map();
  const expect = onePass(resources, validateOne, kinds);
  const times = [];
  let total = 0;
  while (times.length === 0 ||
         ((times.length < minPasses || total < minS) && total < maxS)) {
    const t0 = process.hrtime.bigint();
    const got = onePass(resources, validateOne, null);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    times.push(s);
    total += s;
    if (got.errors !== expect.errors || got.withErrors !== expect.withErrors) {
      process.stderr.write(`${tool}: passes disagree\n`);
      process.exit(1);
    }
  }
  times.sort((a, b) => a - b);
  const half = Math.floor(times.length / 2);
  const med = times.length % 2 ? times[half] : (times[half - 1] + times[half]) / 2;
  const best = times[0];
  const r6 = (x) => Math.round(x * 1e6) / 1e6;
  const top = [...kinds.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5)
    .map(([text, count]) => ({ count, text }));
  process.stdout.write(JSON.stringify({
    tool,
    bench: 'validate',
    version: packageVersion(pkg),
    runtime: `Node.js ${process.versions.node}`,
    resources: resources.length,
    bytes: nbytes,
    passes: times.length,
    seconds: r6(med),
    best_seconds: r6(best),
    resources_per_s: Math.round(resources.length / med * 10) / 10,
    best_resources_per_s: Math.round(resources.length / best * 10) / 10,
    with_errors: expect.withErrors,
    errors: expect.errors,
    top_errors: top,
    peak_rss_kb: process.resourceUsage().maxRSS,
    load_rss_kb: loadRss,
  }) + '\n');
}

module.exports = { run };
