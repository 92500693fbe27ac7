'use strict';
// node_hl7_client.js — the node-hl7-client peer of bench/hl7_parse_bench.c:
// new Message({ text }), then get('PID.5') and get(5) of every segment that
// get('OBX') lists, each with toRaw() (the value as written; toString()
// would give only the first component). An absent field or segment comes
// back as the library's empty node, whose toRaw() and forEach() throw, hence
// isEmpty() first.
// Harness and methodology: harness.js.
const { Message } = require('node-hl7-client');
const { run } = require('./harness');

const raw = (node) => (node.isEmpty() ? '' : node.toRaw());

run('node-hl7-client', 'node-hl7-client', (text, acc) => {
  const msg = new Message({ text });
  acc.checksum += raw(msg.get('PID.5')).length;
  acc.values++;
  const obxs = msg.get('OBX');
  if (obxs.isEmpty()) return;
  obxs.forEach((obx) => {
    acc.checksum += raw(obx.get(5)).length;
    acc.obx5++;
  });
});
