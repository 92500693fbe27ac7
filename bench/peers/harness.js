'use strict';
// harness.js — what the Node peers of bench/hl7_parse_bench.c share: load
// the corpus, split it into messages, time passes, print the JSON line.
//
// Each peer passes a function that parses one message and reads PID-5 and
// field 5 of every OBX the way that library's users do, and returns the
// counts through the `acc` object. The checksum is the number of bytes of
// those values as written in the message, so it must equal hxe's: a peer
// that reads the wrong field or loses a repetition shows a different sum.
//
// Splitting happens before the clock starts (messages start at offset 0
// and after every \r followed by "MSH|"); only parse and reads are timed.
// One warm-up pass (it also lets V8 optimise), then timed passes until
// BENCH_MIN_SECONDS (2) and BENCH_MIN_PASSES (3) are both reached, or
// BENCH_MAX_SECONDS (20) of timed passes have run; the median is reported.

const fs = require('fs');
const path = require('path');

function splitMessages(data) {
  const msgs = [];
  let start = 0;
  for (;;) {
    const i = data.indexOf('\rMSH|', start);
    if (i < 0) {
      msgs.push(data.slice(start));
      return msgs;
    }
    msgs.push(data.slice(start, i + 1));
    start = i + 1;
  }
}

function packageVersion(name) {
  const p = path.join(__dirname, 'node_modules', name, 'package.json');
  return JSON.parse(fs.readFileSync(p, 'utf8')).version;
}

function onePass(msgs, readOne) {
  const acc = { values: 0, obx5: 0, checksum: 0 };
  for (let i = 0; i < msgs.length; i++) readOne(msgs[i], acc);
  return acc;
}

function run(tool, pkg, readOne) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write(`usage: node ${path.basename(process.argv[1])} CORPUS\n`);
    process.exit(2);
  }
  const buf = fs.readFileSync(file);
  const data = buf.toString('utf8');
  const msgs = splitMessages(data);
  let nbytes = 0;
  for (const m of msgs) nbytes += Buffer.byteLength(m, 'utf8');
  const loadRss = process.resourceUsage().maxRSS;

  const minS = Number(process.env.BENCH_MIN_SECONDS || 2);
  const minPasses = Number(process.env.BENCH_MIN_PASSES || 3);
  const maxS = Number(process.env.BENCH_MAX_SECONDS || 20);
  const expect = onePass(msgs, readOne);
  const times = [];
  let total = 0;
  while (times.length === 0 ||
         ((times.length < minPasses || total < minS) && total < maxS)) {
    const t0 = process.hrtime.bigint();
    const got = onePass(msgs, readOne);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    times.push(s);
    total += s;
    if (got.values !== expect.values || got.checksum !== expect.checksum) {
      process.stderr.write(`${tool}: passes disagree\n`);
      process.exit(1);
    }
  }
  times.sort((a, b) => a - b);
  const half = Math.floor(times.length / 2);
  const med = times.length % 2 ? times[half] : (times[half - 1] + times[half]) / 2;
  const best = times[0];
  const r6 = (x) => Math.round(x * 1e6) / 1e6;
  const r3 = (x) => Math.round(x * 1e3) / 1e3;
  process.stdout.write(JSON.stringify({
    tool,
    version: packageVersion(pkg),
    runtime: `Node.js ${process.versions.node}`,
    messages: msgs.length,
    bytes: nbytes,
    passes: times.length,
    seconds: r6(med),
    best_seconds: r6(best),
    msgs_per_s: Math.round(msgs.length / med * 10) / 10,
    mb_per_s: r3(nbytes / med / 1e6),
    best_mb_per_s: r3(nbytes / best / 1e6),
    peak_rss_kb: process.resourceUsage().maxRSS,
    load_rss_kb: loadRss,
    values: expect.values + expect.obx5,
    obx5: expect.obx5,
    checksum: expect.checksum,
  }) + '\n');
}

module.exports = { run };
