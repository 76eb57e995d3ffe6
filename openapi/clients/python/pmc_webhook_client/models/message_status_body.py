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
  from ..models.message_status_body_counts import MessageStatusBodyCounts
  from ..models.recipient_body import RecipientBody





T = TypeVar("T", bound="MessageStatusBody")



@_attrs_define
class MessageStatusBody:
    """ The status answer.

        Example:
            {'message_id': 'order-20261128-0001', 'status': 'read', 'recipients': [{'recipient': 'lisi', 'status': 'sent',
                'reached': ['sent']}, {'recipient': 'zhangsan', 'status': 'read', 'reached': ['sent', 'delivered', 'read']}],
                'counts': {'read': 1, 'sent': 1}, 'updated_at': '2026-11-28T08:03:12+00:00'}

        Attributes:
            message_id (str): Message id.
            recipients (list[RecipientBody]): Per recipient.
            counts (MessageStatusBodyCounts): Recipients per current status.
            updated_at (datetime.datetime): Last change.
            status (str | Unset): The most advanced recipient's status.
     """

    message_id: str
    recipients: list[RecipientBody]
    counts: MessageStatusBodyCounts
    updated_at: datetime.datetime
    status: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.message_status_body_counts import MessageStatusBodyCounts # noqa: PLC0415
        from ..models.recipient_body import RecipientBody # noqa: PLC0415
        message_id = self.message_id

        recipients = []
        for recipients_item_data in self.recipients:
            recipients_item = recipients_item_data.to_dict()
            recipients.append(recipients_item)



        counts = self.counts.to_dict()

        updated_at = self.updated_at.isoformat()

        status = self.status


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "message_id": message_id,
            "recipients": recipients,
            "counts": counts,
            "updated_at": updated_at,
        })
        if status is not UNSET:
            field_dict["status"] = status

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.message_status_body_counts import MessageStatusBodyCounts # noqa: PLC0415
        from ..models.recipient_body import RecipientBody # noqa: PLC0415
        d = dict(src_dict)
        message_id = d.pop("message_id")

        recipients = []
        _recipients = d.pop("recipients")
        for recipients_item_data in (_recipients):
            recipients_item = RecipientBody.from_dict(recipients_item_data)



            recipients.append(recipients_item)


        counts = MessageStatusBodyCounts.from_dict(d.pop("counts"))




        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))




        status = d.pop("status", UNSET)

        message_status_body = cls(
            message_id=message_id,
            recipients=recipients,
            counts=counts,
            updated_at=updated_at,
            status=status,
        )


        message_status_body.additional_properties = d
        return message_status_body

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
