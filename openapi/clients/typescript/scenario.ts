// A business system's scenario through the typed TypeScript client
// (openapi-typescript types + openapi-fetch): register a message, post signed
// status callbacks, read status and history, list interactions.
//   npm run scenario -- BASE_URL STATUS_WEBHOOK_SECRET API_TOKEN
import createClient from "openapi-fetch";
import { Webhook } from "standardwebhooks";
import type { paths } from "./schema.d.ts";

const [baseUrl, secret, token] = process.argv.slice(2);
const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
const fail = (message: string): never => {
  console.error(`FAIL ${message}`);
  process.exit(1);
};

// Without the token, the management API refuses (401, as documented).
const anonymous = createClient<paths>({ baseUrl });
const refused = await anonymous.GET("/api/v1/status");
if (refused.response.status !== 401 || refused.error?.error !== "missing_token") fail(`anonymous: ${refused.response.status}`);
const messageId = `ts-${Math.random().toString(16).slice(2, 14)}`;

const created = await client.POST("/api/v1/messages", {
  body: { id: messageId, channel: "external", recipients: ["alice", "bob"] },
});
if (created.response.status !== 201 || created.data?.status !== "sent") fail(`register: ${created.response.status}`);

// Status callbacks are signed per Standard Webhooks over the exact bytes sent.
const payload = JSON.stringify([
  { message_id: messageId, recipient: "alice", status: "read" },
  { message_id: messageId, recipient: "bob", status: "delivered" },
]);
const webhookId = `ts-${Date.now()}`;
const now = new Date();
const signature = new Webhook(secret).sign(webhookId, now, payload);
const posted = await client.POST("/api/v1/webhooks/status", {
  headers: {
    "content-type": "application/json",
    "webhook-id": webhookId,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": signature,
  },
  body: payload as never,
  bodySerializer: (body: unknown) => body as string,
});
if (posted.response.status !== 202) fail(`status callback: ${posted.response.status}`);

let counts: Record<string, number> | undefined;
for (let attempt = 0; attempt < 200; attempt++) {
  const status = await client.GET("/api/v1/messages/{id}/status", { params: { path: { id: messageId } } });
  counts = status.data?.counts;
  if (counts?.read === 1 && counts?.delivered === 1) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
if (counts?.read !== 1 || counts?.delivered !== 1) fail(`status: ${JSON.stringify(counts)}`);

const history = await client.GET("/api/v1/messages/{id}/history", { params: { path: { id: messageId } } });
const rows = history.data?.history ?? [];
const applied = rows.filter((row) => row.outcome === "applied").map((row) => `${row.recipient}:${row.status}`);
if (!applied.includes("alice:read") || !applied.includes("bob:delivered")) fail(`history: ${applied}`);

const interactions = await client.GET("/api/v1/interactions", { params: { query: { message_id: messageId } } });
if (!Array.isArray(interactions.data?.interactions)) fail("interactions");
console.log(`ok   typescript client: register, signed status callbacks, status, history (${rows.length} rows), interactions`);
