'use strict';
// Distinct signed, encrypted app callbacks for bench/load.sh when no
// pmc-webhook binary is there to write them (`simulate --write-requests`,
// 30 types, is what load.sh uses when it can): five types here — text,
// image, a menu click, entering the app, a template card click — each a
// distinct dedupe key (a MsgId, or a user of its own for events).
//
//   WECHAT_TOKEN=… WECHAT_ENCODING_AES_KEY=… WECHAT_CORP_ID=… \
//       NODE_PATH=<dir with node_modules> node requests.js COUNT FILE
// writes COUNT lines of `PATH?QUERY<TAB>BODY`, as bench/callbacks.lua reads them.
const fs = require('node:fs');
const crypto = require('node:crypto');
const { encrypt, getSignature } = require('@wecom/crypto');

const [count, file] = [Number(process.argv[2]), process.argv[3]];
const token = process.env.WECHAT_TOKEN;
const aesKey = process.env.WECHAT_ENCODING_AES_KEY;
const corpId = process.env.WECHAT_CORP_ID;
const now = Math.floor(Date.now() / 1000);
const run = Date.now();
const agent = 1000002;

function plaintext(n) {
  const head = (user, type) => `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName>`
    + `<FromUserName><![CDATA[${user}]]></FromUserName><CreateTime>${now}</CreateTime>`
    + `<MsgType><![CDATA[${type}]]></MsgType>`;
  const msgid = `${run}${String(n).padStart(7, '0')}`;
  const user = `bench-${run}-${n}`;
  switch (n % 5) {
    case 0: return `${head('zhangsan', 'text')}<Content><![CDATA[hello ${n}]]></Content><MsgId>${msgid}</MsgId><AgentID>${agent}</AgentID></xml>`;
    case 1: return `${head('lisi', 'image')}<PicUrl><![CDATA[https://example.invalid/${n}.png]]></PicUrl><MediaId><![CDATA[media-${n}]]></MediaId><MsgId>${msgid}</MsgId><AgentID>${agent}</AgentID></xml>`;
    case 2: return `${head(user, 'event')}<Event><![CDATA[click]]></Event><EventKey><![CDATA[menu-${n}]]></EventKey><AgentID>${agent}</AgentID></xml>`;
    case 3: return `${head(user, 'event')}<Event><![CDATA[enter_agent]]></Event><EventKey><![CDATA[]]></EventKey><AgentID>${agent}</AgentID></xml>`;
    default: return `${head(user, 'event')}<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[approve]]></EventKey>`
      + `<TaskId><![CDATA[task-${n}]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>`
      + `<ResponseCode><![CDATA[rc-${n}]]></ResponseCode><AgentID>${agent}</AgentID></xml>`;
  }
}

const out = fs.openSync(file, 'w');
let lines = [];
for (let n = 0; n < count; n += 1) {
  const nonce = crypto.randomBytes(8).toString('hex');
  const sealed = encrypt(aesKey, plaintext(n), corpId);
  const signature = getSignature(token, now, nonce, sealed);
  const body = `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><Encrypt><![CDATA[${sealed}]]></Encrypt></xml>`;
  lines.push(`/api/v1/webhooks/wechat/api?msg_signature=${signature}&timestamp=${now}&nonce=${nonce}\t${body}\n`);
  if (lines.length === 1000) {
    fs.writeSync(out, lines.join(''));
    lines = [];
  }
}
fs.writeSync(out, lines.join(''));
fs.closeSync(out);
