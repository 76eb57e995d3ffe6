from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.message_body import MessageBody





T = TypeVar("T", bound="MessagePage")



@_attrs_define
class MessagePage:
    """ A page of messages.

        Example:
            {'messages': [{'id': 'order-20261128-0001', 'channel': 'wecom_app', 'account': 'default', 'status': 'read',
                'registered': True, 'wecom_msgid': 'wmF3kqDwAAgWqBNh3Kx2G0XgA', 'created_at': '2026-11-28T08:00:00+00:00',
                'updated_at': '2026-11-28T08:03:12+00:00', 'recipients': [{'recipient': 'lisi', 'status': 'sent', 'reached':
                ['sent']}, {'recipient': 'zhangsan', 'status': 'read', 'reached': ['sent', 'delivered', 'read']}], 'counts':
                {'read': 1, 'sent': 1}}], 'next_cursor': 'order-20261128-0001'}

        Attributes:
            messages (list[MessageBody]): Newest first.
            next_cursor (str | Unset): Pass as `cursor` for the next page.
     """

    messages: list[MessageBody]
    next_cursor: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.message_body import MessageBody # noqa: PLC0415
        messages = []
        for messages_item_data in self.messages:
            messages_item = messages_item_data.to_dict()
            messages.append(messages_item)



        next_cursor = self.next_cursor


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "messages": messages,
        })
        if next_cursor is not UNSET:
            field_dict["next_cursor"] = next_cursor

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.message_body import MessageBody # noqa: PLC0415
        d = dict(src_dict)
        messages = []
        _messages = d.pop("messages")
        for messages_item_data in (_messages):
            messages_item = MessageBody.from_dict(messages_item_data)



            messages.append(messages_item)


        next_cursor = d.pop("next_cursor", UNSET)

        message_page = cls(
            messages=messages,
            next_cursor=next_cursor,
        )


        message_page.additional_properties = d
        return message_page

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
