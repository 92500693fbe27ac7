'use strict';
// node_hl7_server.js — the node-hl7-server peer of the engine benchmark:
// Server.createInbound, answering every message with
// res.sendResponse('AA') (its ACK builder, from node-hl7-client). Nothing
// is stored.
const { Server } = require('node-hl7-server');
const { serve } = require('./server_common');

serve('node-hl7-server', 'node-hl7-server', (port, stats) => {
  const server = new Server({ bindAddress: '127.0.0.1' });
  const inbound = server.createInbound({ port }, async (req, res) => {
    await res.sendResponse('AA');
    stats.answered++;
  });
  inbound.on('listen', () => process.stdout.write(`listening ${port}\n`));
  inbound.on('data.error', () => { stats.errors++; });
  inbound.on('client.error', () => { stats.errors++; });
  return () => inbound.close();
});
