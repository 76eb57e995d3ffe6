from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
import datetime






T = TypeVar("T", bound="EventDetail")



@_attrs_define
class EventDetail:
    """ A stored callback with its decrypted payload and metadata.

        Example:
            {'id': 4711, 'instance': '7bfff4c16f606db3', 'received_at': '2026-11-28T09:30:12.180+00:00', 'channel':
                'wechat_api', 'account': 'default', 'callback_type': 'message.text', 'dedupe_key': 'msgid:1234567890123456',
                'user_id': 'zhangsan', 'source_ip': '101.226.90.1', 'envelope_format': 'xml', 'msg_signature':
                '477715d11cdb4164915debcba66cb864d751f3e6', 'timestamp': '1764322212', 'nonce': '1719203847', 'ciphertext': 'Ryp
                EvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUU
                kSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijf
                f0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5w
                LVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS', 'plaintext': '<xml><ToUserName><![CDATA[ww0a1b2c3d4e5f6789]]></ToUs
                erName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1764322212</CreateTime><MsgType><![CDATA[tex
                t]]></MsgType><Content><![CDATA[收到]]></Content><MsgId>1234567890123456</MsgId><AgentID>1000002</AgentID></xml>',
                'payload': {'type': 'text', 'from_user': 'zhangsan', 'content': '收到', 'msg_id': '1234567890123456', 'agent_id':
                1000002}}

        Attributes:
            id (int): Event id (monotonic in commit order within its instance's event log).
            instance (str): The instance (replica) whose event log stored it.
            received_at (datetime.datetime): When it arrived.
            channel (str): `wechat_api` or `wechat_bot` (`api`, `status_webhook`, … for events of other sources).
            account (str): The account it came in for or was sent through (`GET /api/v1/accounts`).
            callback_type (str): Type label, e.g. `message.text`, `event.template_card_event`, `robot.event.enter_chat`.
            dedupe_key (str): The key retries are recognised by.
            envelope_format (str): `xml` or `json`.
            msg_signature (str): The query's `msg_signature`.
            timestamp (str): The query's `timestamp`.
            nonce (str): The query's `nonce`.
            ciphertext (str): The ciphertext as received; empty when read from MySQL's shared
                events view, which keeps no ciphertext (the replica that stored the
                event, `source=local`, and MongoDB's raw log have it).
            plaintext (str): The decrypted document, as WeCom sent it.
            payload (Any): The typed payload.
            user_id (str | Unset): The member who caused it, when there is one.
            source_ip (str | Unset): The peer address it came from.
     """

    id: int
    instance: str
    received_at: datetime.datetime
    channel: str
    account: str
    callback_type: str
    dedupe_key: str
    envelope_format: str
    msg_signature: str
    timestamp: str
    nonce: str
    ciphertext: str
    plaintext: str
    payload: Any
    user_id: str | Unset = UNSET
    source_ip: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        id = self.id

        instance = self.instance

        received_at = self.received_at.isoformat()

        channel = self.channel

        account = self.account

        callback_type = self.callback_type

        dedupe_key = self.dedupe_key

        envelope_format = self.envelope_format

        msg_signature = self.msg_signature

        timestamp = self.timestamp

        nonce = self.nonce

        ciphertext = self.ciphertext

        plaintext = self.plaintext

        payload = self.payload

        user_id = self.user_id

        source_ip = self.source_ip


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "id": id,
            "instance": instance,
            "received_at": received_at,
            "channel": channel,
            "account": account,
            "callback_type": callback_type,
            "dedupe_key": dedupe_key,
            "envelope_format": envelope_format,
            "msg_signature": msg_signature,
            "timestamp": timestamp,
            "nonce": nonce,
            "ciphertext": ciphertext,
            "plaintext": plaintext,
            "payload": payload,
        })
        if user_id is not UNSET:
            field_dict["user_id"] = user_id
        if source_ip is not UNSET:
            field_dict["source_ip"] = source_ip

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        instance = d.pop("instance")

        received_at = datetime.datetime.fromisoformat(d.pop("received_at"))




        channel = d.pop("channel")

        account = d.pop("account")

        callback_type = d.pop("callback_type")

        dedupe_key = d.pop("dedupe_key")

        envelope_format = d.pop("envelope_format")

        msg_signature = d.pop("msg_signature")

        timestamp = d.pop("timestamp")

        nonce = d.pop("nonce")

        ciphertext = d.pop("ciphertext")

        plaintext = d.pop("plaintext")

        payload = d.pop("payload")

        user_id = d.pop("user_id", UNSET)

        source_ip = d.pop("source_ip", UNSET)

        event_detail = cls(
            id=id,
            instance=instance,
            received_at=received_at,
            channel=channel,
            account=account,
            callback_type=callback_type,
            dedupe_key=dedupe_key,
            envelope_format=envelope_format,
            msg_signature=msg_signature,
            timestamp=timestamp,
            nonce=nonce,
            ciphertext=ciphertext,
            plaintext=plaintext,
            payload=payload,
            user_id=user_id,
            source_ip=source_ip,
        )


        event_detail.additional_properties = d
        return event_detail

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
