"""The reference peer: the seed's design as a Python user would build it.

FastAPI + uvicorn + wechatpy: verify the signature, decrypt, parse the
message, deduplicate in memory (per worker, as a dict in the process), and
answer WeCom with an empty 200. No storage at all, so it does strictly less
than pmc-webhook, which also commits every callback durably before answering.

    WECHAT_TOKEN=… WECHAT_ENCODING_AES_KEY=… WECHAT_CORP_ID=… \
        uvicorn app:app --workers 2 --port 18082
"""
import os

from fastapi import FastAPI, Request, Response
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

crypto = WeChatCrypto(os.environ["WECHAT_TOKEN"], os.environ["WECHAT_ENCODING_AES_KEY"], os.environ["WECHAT_CORP_ID"])
seen: set[str] = set()
app = FastAPI()


@app.post("/api/v1/webhooks/wechat/api")
async def receive(request: Request, msg_signature: str, timestamp: str, nonce: str) -> Response:
    body = await request.body()
    try:
        xml = crypto.decrypt_message(body, msg_signature, timestamp, nonce)
    except (InvalidSignatureException, InvalidCorpIdException):
        return Response(status_code=403)
    message = parse_message(xml)
    message_id = getattr(message, "id", None)
    key = f"msgid:{message_id}" if message_id else f"event:{message.source}:{message.create_time}:{message.type}"
    if key not in seen:
        seen.add(key)
    return Response(status_code=200)
