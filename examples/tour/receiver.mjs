#!/usr/bin/env node
// The tour's webhook receiver: accepts araldo's deliveries on
// http://127.0.0.1:$RECEIVER_PORT/hooks/araldo, verifies each one the Standard
// Webhooks way (docs/webhooks.md), and prints what it verified. Node's own
// modules only, so it runs wherever node does: `node examples/tour/receiver.mjs`.
//
//   RECEIVER_PORT    where to listen (default 8787; 0 picks a free port)
//   WEBHOOK_SECRET   the secret araldo signs with (default: the tour's)
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

const port = Number(process.env.RECEIVER_PORT || 8787);
const secret = process.env.WEBHOOK_SECRET || 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const toleranceSeconds = 5 * 60;  // a captured request cannot be replayed later
const maxBody = 1024 * 1024;

if (!secret.startsWith('whsec_')) throw new Error('WEBHOOK_SECRET must start with whsec_');
const key = Buffer.from(secret.slice('whsec_'.length), 'base64');

// Why the delivery is not araldo's, or '' when it is.
function verify(headers, body) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return 'missing webhook-id, webhook-timestamp or webhook-signature';
  const skew = Math.abs(Date.now() / 1000 - Number(timestamp));
  if (!(skew <= toleranceSeconds)) return `webhook-timestamp ${timestamp} is too far from this clock`;
  // Over the body's bytes as received: parsing and re-serialising would change them.
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]);
  const expected = Buffer.from(`v1,${createHmac('sha256', key).update(signed).digest('base64')}`);
  // Space-separated entries, one per secret while araldo's are being rotated.
  for (const entry of signatures.split(' ')) {
    const given = Buffer.from(entry);
    if (given.length === expected.length && timingSafeEqual(given, expected)) return '';
  }
  return 'no signature matches the secret';
}

const seen = new Set();  // delivery is at least once: de-duplicate on webhook-id

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > maxBody) {
      // A 4xx other than 408/429 makes araldo keep the delivery as a dead letter.
      res.writeHead(413).end();
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const problem = verify(req.headers, body);
    const id = req.headers['webhook-id'];
    if (problem) {
      console.log(`rejected ${id ?? '-'}: ${problem}`);
      res.writeHead(401, { 'content-type': 'text/plain' }).end(problem + '\n');
      return;
    }
    if (seen.has(id)) {
      console.log(`duplicate ${id} (already handled)`);
    } else {
      seen.add(id);
      console.log(`verified ${id} ${body.toString('utf8')}`);
    }
    // 2xx once the event is stored: araldo does not send this delivery again.
    res.writeHead(204).end();
  });
});

server.listen(port, '127.0.0.1', () => {
  console.log(`receiver listening on http://127.0.0.1:${server.address().port}/hooks/araldo`);
});
// Nothing is held in memory that a restart would lose: araldo re-sends what was not answered.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
