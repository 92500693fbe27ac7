'use strict';
// hl7_standard.js — the hl7-standard peer of bench/hl7_parse_bench.c:
// new HL7(text).transform(), then field 5 of get('PID') and of get('OBX', i)
// for each of getSegments('OBX'). (get('PID.5') would give only the first
// repetition; a segment-level get() gives the segment's fields, each whole.)
// hl7-standard hands a field back as a string, an object of components or
// an array (it splits on '~' and '&'), so rawLength() adds the parts and one
// byte per separator between them: the bytes the value has as written.
// Harness and methodology: harness.js.
const HL7 = require('hl7-standard');
const { run } = require('./harness');

function rawLength(v) {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'string') return v.length;
  const parts = Array.isArray(v) ? v : Object.values(v);
  let n = parts.length > 0 ? parts.length - 1 : 0;
  for (const p of parts) n += rawLength(p);
  return n;
}

run('hl7-standard', 'hl7-standard', (text, acc) => {
  const msg = new HL7(text);
  msg.transform();
  acc.checksum += rawLength(msg.get('PID')['PID.5']);
  acc.values++;
  const n = msg.getSegments('OBX').length;
  for (let i = 0; i < n; i++) {
    acc.checksum += rawLength(msg.get('OBX', i)['OBX.5']);
    acc.obx5++;
  }
});
