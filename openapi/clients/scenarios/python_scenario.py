"""A business system's scenario through the generated Python client:
register a message, post signed status callbacks, read status and history,
list interactions. Exits non-zero on any mismatch.

    python scenarios/python_scenario.py BASE_URL STATUS_WEBHOOK_SECRET API_TOKEN
"""
import json
import sys
import time
import uuid
from datetime import datetime, timezone

from pmc_webhook_client import AuthenticatedClient, Client
from pmc_webhook_client.api.messages import get_message_history, get_message_status, register_message
from pmc_webhook_client.api.tracking import list_interactions
from pmc_webhook_client.models import Accepted, MessageBody, MessageStatusBody, RegisterMessage
from standardwebhooks import Webhook

base_url, secret, token = sys.argv[1], sys.argv[2], sys.argv[3]
client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)

# Without the token, the management API refuses (401, as documented).
anonymous = Client(base_url=base_url)
refused = register_message.sync_detailed(client=anonymous, body=RegisterMessage(recipients=["alice"]))
assert refused.status_code == 401, refused
message_id = f"py-{uuid.uuid4().hex[:12]}"

created = register_message.sync_detailed(client=client, body=RegisterMessage(id=message_id, recipients=["alice", "bob"]))
assert created.status_code == 201, created
assert isinstance(created.parsed, MessageBody) and created.parsed.status == "sent", created.parsed

# Status callbacks are signed per Standard Webhooks over the exact bytes sent.
updates = [
    {"message_id": message_id, "recipient": "alice", "status": "read"},
    {"message_id": message_id, "recipient": "bob", "status": "delivered"},
]
payload = json.dumps(updates)
webhook_id = f"py-{uuid.uuid4().hex}"
now = datetime.now(tz=timezone.utc)
signature = Webhook(secret).sign(webhook_id, now, payload)
response = client.get_httpx_client().post(
    "/api/v1/webhooks/status",
    content=payload,
    headers={
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    },
)
assert response.status_code == 202, response.text
accepted = Accepted.from_dict(response.json())
assert accepted.stored == 1 and accepted.duplicates == 0, accepted

for _ in range(200):
    # 404 until the actors have applied the registration (milliseconds).
    status = get_message_status.sync(client=client, id=message_id)
    if isinstance(status, MessageStatusBody) and status.counts.additional_properties == {"read": 1, "delivered": 1}:
        break
    time.sleep(0.05)
else:
    sys.exit(f"status never reached read + delivered: {status}")

history = get_message_history.sync(client=client, id=message_id)
outcomes = [(row.recipient, row.status, row.outcome) for row in history.history]
assert ("alice", "read", "applied") in outcomes and ("bob", "delivered", "applied") in outcomes, outcomes

interactions = list_interactions.sync(client=client, message_id=message_id)
assert interactions.interactions == [], interactions
print(f"ok   python client: register, signed status callbacks, status, history ({len(outcomes)} rows), interactions")
