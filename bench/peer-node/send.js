'use strict';
// Sends every request of a bench/load.sh request file exactly once (unlike
// wrk, which stops mid-flight) and prints the answers' statuses as JSON, e.g.
// {"200":6000}. With --tamper, each request's msg_signature is altered first
// (a peer must refuse all of them). With --echo, sends one signed GET URL
// verification instead and prints the body. Used by bench/peer-node/check.sh.
//   node send.js URL FILE [--tamper] [--concurrency N]
//   node send.js URL --echo
const fs = require('node:fs');
const http = require('node:http');

const [base, file] = process.argv.slice(2);
const tamper = process.argv.includes('--tamper');
const ci = process.argv.indexOf('--concurrency');
const concurrency = ci > 0 ? Number(process.argv[ci + 1]) : 16;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function send(method, path, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(new URL(path, base), {
      method, agent, headers: body ? { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body) } : {},
    }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function main() {
  if (process.argv.includes('--echo')) {
    const { encrypt, getSignature } = require('@wecom/crypto');
    const echo = `echo-${Date.now()}`;
    const sealed = encrypt(process.env.WECHAT_ENCODING_AES_KEY, echo, process.env.WECHAT_CORP_ID);
    const [timestamp, nonce] = [Math.floor(Date.now() / 1000), 'n0nce'];
    const signature = getSignature(process.env.WECHAT_TOKEN, timestamp, nonce, sealed);
    const query = new URLSearchParams({ msg_signature: signature, timestamp, nonce, echostr: sealed });
    const answer = await send('GET', `/api/v1/webhooks/wechat/api?${query}`);
    console.log(JSON.stringify({ status: answer.status, matches: answer.body === echo }));
    return;
  }
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const statuses = {};
  let next = 0;
  async function worker() {
    while (next < lines.length) {
      const line = lines[next];
      next += 1;
      const tab = line.indexOf('\t');
      let path = line.slice(0, tab);
      // Another valid-looking SHA-1 hex digest: the first character changed.
      if (tamper) path = path.replace(/msg_signature=(.)/, (_, c) => `msg_signature=${c === '0' ? '1' : '0'}`);
      const { status } = await send('POST', path, line.slice(tab + 1));
      statuses[status] = (statuses[status] || 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  console.log(JSON.stringify(statuses));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
