'use strict';
// server_common.js — what the MLLP server peers of the engine benchmark
// (bench/engine_bench.sh) share: the port from argv, a line on stdout once
// listening, a clean exit on SIGTERM with one JSON line (version, messages
// answered, peak RSS). bench/mllp_load drives them exactly as it drives
// `hxe serve`; they answer AA to every message with their own ACK builder
// and keep nothing (no store): they show what a receive-and-ACK costs in
// the tools users would otherwise pick, without durability.
const fs = require('fs');
const path = require('path');

function packageVersion(name) {
  const p = path.join(__dirname, 'node_modules', name, 'package.json');
  return JSON.parse(fs.readFileSync(p, 'utf8')).version;
}

function serve(tool, pkg, start) {
  const port = Number(process.argv[2]);
  if (!port) {
    process.stderr.write(`usage: node ${path.basename(process.argv[1])} PORT\n`);
    process.exit(2);
  }
  const stats = { answered: 0, errors: 0 };
  const stop = start(port, stats);
  process.on('SIGTERM', () => {
    const out = {
      tool, version: packageVersion(pkg), runtime: `Node.js ${process.versions.node}`,
      answered: stats.answered, errors: stats.errors,
      peak_rss_kb: process.resourceUsage().maxRSS,
    };
    process.stdout.write(JSON.stringify(out) + '\n');
    Promise.resolve(stop && stop()).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}

module.exports = { serve };
