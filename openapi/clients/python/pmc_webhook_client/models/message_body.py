from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.message_body_counts import MessageBodyCounts
  from ..models.recipient_body import RecipientBody





T = TypeVar("T", bound="MessageBody")



@_attrs_define
class MessageBody:
    """ A tracked message.

        Example:
            {'id': 'order-20261128-0001', 'channel': 'wecom_app', 'account': 'default', 'status': 'read', 'registered':
                True, 'wecom_msgid': 'wmF3kqDwAAgWqBNh3Kx2G0XgA', 'created_at': '2026-11-28T08:00:00+00:00', 'updated_at':
                '2026-11-28T08:03:12+00:00', 'recipients': [{'recipient': 'lisi', 'status': 'sent', 'reached': ['sent']},
                {'recipient': 'zhangsan', 'status': 'read', 'reached': ['sent', 'delivered', 'read']}], 'counts': {'read': 1,
                'sent': 1}}

        Attributes:
            id (str): Message id.
            channel (str): `external`, `wecom_app`, `wecom_bot`.
            account (str): The account it is sent through.
            registered (bool): Registered through the API (else created by its first observation).
            created_at (datetime.datetime): First seen.
            updated_at (datetime.datetime): Last change.
            recipients (list[RecipientBody]): Per recipient.
            counts (MessageBodyCounts): Recipients per current status.
            status (str | Unset): The most advanced recipient's status.
            wecom_msgid (str | Unset): WeCom's msgid.
            task_id (str | Unset): Template card task id.
     """

    id: str
    channel: str
    account: str
    registered: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime
    recipients: list[RecipientBody]
    counts: MessageBodyCounts
    status: str | Unset = UNSET
    wecom_msgid: str | Unset = UNSET
    task_id: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.message_body_counts import MessageBodyCounts # noqa: PLC0415
        from ..models.recipient_body import RecipientBody # noqa: PLC0415
        id = self.id

        channel = self.channel

        account = self.account

        registered = self.registered

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        recipients = []
        for recipients_item_data in self.recipients:
            recipients_item = recipients_item_data.to_dict()
            recipients.append(recipients_item)



        counts = self.counts.to_dict()

        status = self.status

        wecom_msgid = self.wecom_msgid

        task_id = self.task_id


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "id": id,
            "channel": channel,
            "account": account,
            "registered": registered,
            "created_at": created_at,
            "updated_at": updated_at,
            "recipients": recipients,
            "counts": counts,
        })
        if status is not UNSET:
            field_dict["status"] = status
        if wecom_msgid is not UNSET:
            field_dict["wecom_msgid"] = wecom_msgid
        if task_id is not UNSET:
            field_dict["task_id"] = task_id

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.message_body_counts import MessageBodyCounts # noqa: PLC0415
        from ..models.recipient_body import RecipientBody # noqa: PLC0415
        d = dict(src_dict)
        id = d.pop("id")

        channel = d.pop("channel")

        account = d.pop("account")

        registered = d.pop("registered")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))




        recipients = []
        _recipients = d.pop("recipients")
        for recipients_item_data in (_recipients):
            recipients_item = RecipientBody.from_dict(recipients_item_data)



            recipients.append(recipients_item)


        counts = MessageBodyCounts.from_dict(d.pop("counts"))




        status = d.pop("status", UNSET)

        wecom_msgid = d.pop("wecom_msgid", UNSET)

        task_id = d.pop("task_id", UNSET)

        message_body = cls(
            id=id,
            channel=channel,
            account=account,
            registered=registered,
            created_at=created_at,
            updated_at=updated_at,
            recipients=recipients,
            counts=counts,
            status=status,
            wecom_msgid=wecom_msgid,
            task_id=task_id,
        )


        message_body.additional_properties = d
        return message_body

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
