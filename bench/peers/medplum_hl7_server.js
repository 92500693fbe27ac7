'use strict';
// medplum_hl7_server.js — the @medplum/hl7 peer of the engine benchmark:
// Hl7Server, answering every message with message.buildAck() (AA), as
// Medplum's own agent does for an MLLP channel. Nothing is stored.
const { Hl7Server } = require('@medplum/hl7');
const { serve } = require('./server_common');

serve('@medplum/hl7', '@medplum/hl7', (port, stats) => {
  const server = new Hl7Server((connection) => {
    connection.addEventListener('message', ({ message }) => {
      connection.send(message.buildAck());
      stats.answered++;
    });
    connection.addEventListener('error', () => { stats.errors++; });
  });
  server.start(port);
  server.server.once('listening', () => process.stdout.write(`listening ${port}\n`));
  return () => server.stop({ forceDrainTimeoutMs: 100 });
});
