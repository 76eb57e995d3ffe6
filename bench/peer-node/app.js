'use strict';
// The Node peer: the seed's design as a Node user would build it, next to the
// Python one (bench/peer/app.py) and doing the same work per callback.
//
// fastify + WeCom's own @wecom/crypto + fast-xml-parser, node:cluster with 2
// workers: verify the signature, decrypt (and check the receive id is our
// corp id), parse the message, deduplicate in memory (per worker, a Set in
// the process, keyed as the Python peer keys), and answer WeCom "success"
// with a 200. No storage at all, so it does strictly less than pmc-webhook,
// which also commits every callback durably before answering.
//
//   WECHAT_TOKEN=… WECHAT_ENCODING_AES_KEY=… WECHAT_CORP_ID=… \
//       NODE_PATH=<dir with node_modules> node app.js --port 18083
//
// On SIGTERM each worker prints `peer-node worker PID: N callbacks, K dedupe
// keys, B bad signatures` to stderr before it exits (bench/peer-node/check.sh
// reads it).
const cluster = require('node:cluster');

const WORKERS = Number(process.env.PMC_PEER_WORKERS || 2);

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

if (cluster.isPrimary) {
  for (let i = 0; i < WORKERS; i += 1) cluster.fork();
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      console.error(`peer-node worker ${worker.process.pid} died (${signal || code})`);
      process.exitCode = 1;
      stop();
    }
    if (Object.keys(cluster.workers).length === 0) process.exit();
  });
} else {
  const { getSignature, decrypt } = require('@wecom/crypto');
  const { XMLParser } = require('fast-xml-parser');
  const fastify = require('fastify')({ logger: false });

  const token = process.env.WECHAT_TOKEN;
  const aesKey = process.env.WECHAT_ENCODING_AES_KEY;
  const corpId = process.env.WECHAT_CORP_ID;
  // Tag values stay strings: a MsgId is 64-bit, a JS number would round it.
  const parser = new XMLParser({ parseTagValue: false, processEntities: true });
  const seen = new Set();
  let callbacks = 0;
  let refused = 0;

  // Decrypts a signed ciphertext; null when the signature or the receive id is wrong.
  function open(query, encrypted) {
    const { msg_signature: signature, timestamp, nonce } = query;
    if (!signature || !timestamp || !nonce || !encrypted) return null;
    if (getSignature(token, timestamp, nonce, encrypted) !== signature) return null;
    let opened;
    try {
      opened = decrypt(aesKey, encrypted);
    } catch (_) {
      return null;
    }
    return opened.id === corpId ? opened.message : null;
  }

  // Everything WeCom posts is XML; take it as a string, whatever its content type.
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  // URL verification: WeCom GETs with an encrypted echostr and wants it back decrypted.
  fastify.get('/api/v1/webhooks/wechat/api', async (request, reply) => {
    const echo = open(request.query, request.query.echostr);
    if (echo === null) return reply.code(403).send();
    return reply.type('text/plain').send(echo);
  });

  fastify.post('/api/v1/webhooks/wechat/api', async (request, reply) => {
    let envelope;
    try {
      envelope = parser.parse(request.body || '').xml;
    } catch (_) {
      return reply.code(400).send();
    }
    const xml = envelope && open(request.query, envelope.Encrypt);
    if (!xml) {
      refused += 1;
      return reply.code(403).send();
    }
    const message = parser.parse(xml).xml || {};
    // The Python peer's key (wechatpy): the MsgId if there is one, else source, time and type.
    const id = message.MsgId && message.MsgId !== '0' ? message.MsgId : null;
    const type = String(message.MsgType || 'unknown').toLowerCase();
    const key = id ? `msgid:${id}` : `event:${message.FromUserName}:${message.CreateTime}:${type}`;
    callbacks += 1;
    if (!seen.has(key)) seen.add(key);
    return reply.type('text/plain').send('success');
  });

  process.on('SIGTERM', () => {
    console.error(`peer-node worker ${process.pid}: ${callbacks} callbacks, ${seen.size} dedupe keys, ${refused} bad signatures`);
    process.exit(0);
  });

  fastify.listen({ host: arg('host', '127.0.0.1'), port: Number(arg('port', '18083')) }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
