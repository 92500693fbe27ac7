'use strict';
// x12_node_x12.js — the node-x12 peer of bench/x12_bench.c: the file is
// cut into interchanges as it is read (x12_harness.js), each parsed with
// new X12Parser(true).parse() (strict: the ISA's width, GE01 and SE01
// counts and the control numbers are checked, an error throws), then
// every segment of the object model (ISA, GS, ST .. SE, GE, IEA) and
// every element value is visited. node-x12 has no loop schema, so this
// is the depth of hxe's tokenize pass. (Its streaming Transform is not
// used: in 1.7.1 it checks the ISA width again on every chunk after the
// first and throws in strict mode, and it checks no envelope.)
const { X12Parser } = require('node-x12');
const { run, eachInterchange } = require('./x12_harness');

run('node-x12', 'node-x12', 'tokenize', 'X12Parser(strict).parse() per interchange, every element visited',
  async (file) => {
    const c = { interchanges: 0, groups: 0, sets: 0, segments: 0, elements: 0, claims: 0 };
    const seg = (s) => {
      c.segments++;
      c.elements += s.elements.length;
      for (const e of s.elements) if (typeof e.value !== 'string') throw new Error('no value');
      if (s.tag === 'CLM' || s.tag === 'CLP') c.claims++;
    };
    eachInterchange(file, (text) => {
      const ic = new X12Parser(true).parse(text);
      c.interchanges++;
      seg(ic.header);
      for (const g of ic.functionalGroups) {
        c.groups++;
        seg(g.header);
        for (const t of g.transactions) {
          c.sets++;
          seg(t.header);
          for (const s of t.segments) seg(s);
          seg(t.trailer);
        }
        seg(g.trailer);
      }
      seg(ic.trailer);
    });
    return c;
  });
