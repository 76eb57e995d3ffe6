"""Seeds each fuzz target's corpus from the WeCom vectors (tests/fixtures/wecom).

    python3 tests/fuzz/seed_corpus.py tests/fuzz/corpus
"""
import base64
import hashlib
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "wecom"
out = pathlib.Path(sys.argv[1])


def put(target: str, data: bytes) -> None:
    directory = out / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


for name in ("generated_vectors.json", "official_vectors.json"):
    for case in json.loads((root / name).read_text())["cases"]:
        request, expected = case.get("request", {}), case.get("expected", {})
        if request.get("raw_query"):
            put("callback_query", request["raw_query"].encode())
        body = request.get("body")
        if body:
            put("envelope", body.encode())
            for field in ("Encrypt", "encrypt"):
                if f"<{field}>" in body or f'"{field}"' in body:
                    start = body.find("CDATA[") + 6 if "CDATA[" in body else body.find(f'"{field}":"') + len(field) + 4
                    end = body.find("]]>", start) if "CDATA[" in body else body.find('"', start)
                    put("decrypt", body[start:end].encode())
        echostr = request.get("query", {}).get("echostr")
        if echostr:
            put("decrypt", echostr.encode())
        plaintext = expected.get("plaintext")
        if plaintext:
            target = "inner_json" if plaintext.lstrip().startswith("{") else "inner_xml"
            put(target, plaintext.encode())

for status in (
    {"message_id": "m-1", "status": "read"},
    [{"message_id": "m-1", "recipient": "alice", "status": "delivered", "occurred_at": "2026-11-28T10:00:00Z"}],
    [{"message_id": "m-2", "status": "failed", "detail": {"errcode": 81013}}],
):
    put("status_body", json.dumps(status).encode())
print(f"seeded {sum(1 for _ in out.rglob('*') if _.is_file())} files under {out}")
