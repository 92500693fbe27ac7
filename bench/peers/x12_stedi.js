'use strict';
// x12_stedi.js — the @stedi/x12-tools peer of bench/x12_bench.c. The
// package (a WebAssembly build) offers format, metadata, and 997
// acknowledgments; its metadata() is the closest it comes to reading a
// file: it finds every interchange, functional group and transaction set
// with their envelope values, spans and delimiters. It exposes no segment
// or element, so only those three counts are compared with hxe's. The
// file is cut into interchanges as it is read (x12_harness.js) and
// metadata() runs on each.
const x12 = require('@stedi/x12-tools');
const { run, eachInterchange } = require('./x12_harness');

if (typeof x12.init_x12_translate_wasm === 'function') x12.init_x12_translate_wasm();

run('@stedi/x12-tools', '@stedi/x12-tools', 'envelopes', 'metadata() per interchange: interchanges, groups, sets',
  async (file) => {
    const c = { interchanges: 0, groups: 0, sets: 0 };
    eachInterchange(file, (text) => {
      for (const ic of x12.metadata(text).interchanges) {
        c.interchanges++;
        for (const g of ic.functionalGroups) {
          c.groups++;
          c.sets += g.transactionSets.length;
        }
      }
    });
    return c;
  });
