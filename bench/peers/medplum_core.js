'use strict';
// medplum_core.js — the @medplum/core peer of bench/hl7_parse_bench.c:
// Hl7Message.parse, then getSegment('PID').getField(5) and getField(5) of
// every getAllSegments('OBX'), each as text with toString() (the value as
// written). Harness and methodology: harness.js.
const { Hl7Message } = require('@medplum/core');
const { run } = require('./harness');

run('@medplum/core', '@medplum/core', (text, acc) => {
  const msg = Hl7Message.parse(text);
  acc.checksum += msg.getSegment('PID').getField(5).toString().length;
  acc.values++;
  for (const obx of msg.getAllSegments('OBX')) {
    acc.checksum += obx.getField(5).toString().length;
    acc.obx5++;
  }
});
