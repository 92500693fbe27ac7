'use strict';
// fhir_validate_fhir.js — the `fhir` npm package (FHIR.js) peer of
// bench/fhir_validate_bench.c: new Fhir().validate(resource,
// { errorOnUnexpected: true }) with the R4 (4.0.0) definitions the
// package ships; errorOnUnexpected makes an unknown element an error, as
// it is in hxe and @medplum/core. The errors are the messages of severity
// error or fatal. Harness and methodology: fhir_harness.js.
const { Fhir } = require('fhir');
const { run } = require('./fhir_harness');

const fhir = new Fhir();
const options = { errorOnUnexpected: true };

run('fhir', 'fhir', (resource) => {
  const res = fhir.validate(resource, options);
  if (res.valid) return [];
  return res.messages
    .filter((m) => m.severity === 'error' || m.severity === 'fatal')
    .map((m) => `${m.location || ''}: ${m.message || ''}`);
});
