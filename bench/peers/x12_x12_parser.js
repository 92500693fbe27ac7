'use strict';
// x12_x12_parser.js — the x12-parser peer of bench/x12_bench.c: the
// file streamed through its X12parser (segments as objects, element
// values by number, components as "5-1") and its X12grouper, the loop
// grouping it offers: a schema per guide, picked by GS08, groups each
// 837P claim (CLM, 2300) with its service lines (LX, 2400) and each 835
// claim (CLP, 2100) with its service lines (SVC, 2110); segments outside
// those groups pass through. Every segment and element of the output is
// visited. The grouper tells loops apart by segment id alone (HL03, NM101
// qualifiers are not part of its schemas), and neither stage checks
// envelopes. The line break after the file's last terminator comes out
// as one segment without a name; it is not counted.
const fs = require('fs');
const { X12parser, X12grouper, Schema } = require('x12-parser');
const { run } = require('./x12_harness');

const schemas = [
  new Schema('005010X222A1', {
    start: 'CLM', name: '2300', terminators: ['HL', 'SE'],
    groups: [{ start: 'LX', name: '2400' }],
  }),
  new Schema('005010X221A1', {
    start: 'CLP', name: '2100', terminators: ['LX', 'PLB', 'SE'],
    groups: [{ start: 'SVC', name: '2110' }],
  }),
];

function visit(item, c) {
  if (item.isGroup) {
    if (item.name === '2300' || item.name === '2100') c.claims++;
    for (const x of item.data) visit(x, c);
    return;
  }
  if (!item.name) return;
  c.segments++;
  // elements as written: the highest element number present ("5" or "5-2")
  let last = 0;
  for (const k in item) {
    if (k === 'name') continue;
    const n = parseInt(k, 10);
    if (n > last) last = n;
  }
  c.elements += last;
  if (item.name === 'ISA') c.interchanges++;
  else if (item.name === 'GS') c.groups++;
  else if (item.name === 'ST') c.sets++;
}

run('x12-parser', 'x12-parser', 'loops', 'X12parser stream + X12grouper (2300/2400, 2100/2110 by segment id)',
  (file) => new Promise((resolve, reject) => {
    const c = { interchanges: 0, groups: 0, sets: 0, segments: 0, elements: 0, claims: 0 };
    const input = fs.createReadStream(file);
    input.on('error', reject);
    input.pipe(new X12parser()).on('error', reject)
      .pipe(new X12grouper(schemas)).on('error', reject)
      .on('data', (item) => visit(item, c))
      .on('end', () => resolve(c));
  }));
