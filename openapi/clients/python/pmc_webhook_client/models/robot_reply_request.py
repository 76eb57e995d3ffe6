from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset






T = TypeVar("T", bound="RobotReplyRequest")



@_attrs_define
class RobotReplyRequest:
    """ An answer through a callback's `response_url`.

        Example:
            {'id': 'reply-20261128-0001', 'account': 'default', 'message_id': 'CAIQ16HMjQYY\\\\/NGagIOAgAMgq4KM0AI=',
                'msgtype': 'markdown', 'markdown': {'content': '已为你提交工单 **#4521**。'}}

        Attributes:
            message_id (str): The callback's `msgid`, whose `response_url` is used.
            msgtype (str): `markdown` or `template_card` (single chats only).
            id (str | Unset): The reply's message id (default: from `Idempotency-Key`, else new).
            account (str | Unset): The robot account the callback came in for (default `default`).
            markdown (Any | Unset): `{"content": …}` (≤ 20480 bytes).
            template_card (Any | Unset): WeCom's template card JSON.
     """

    message_id: str
    msgtype: str
    id: str | Unset = UNSET
    account: str | Unset = UNSET
    markdown: Any | Unset = UNSET
    template_card: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        message_id = self.message_id

        msgtype = self.msgtype

        id = self.id

        account = self.account

        markdown = self.markdown

        template_card = self.template_card


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "message_id": message_id,
            "msgtype": msgtype,
        })
        if id is not UNSET:
            field_dict["id"] = id
        if account is not UNSET:
            field_dict["account"] = account
        if markdown is not UNSET:
            field_dict["markdown"] = markdown
        if template_card is not UNSET:
            field_dict["template_card"] = template_card

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        message_id = d.pop("message_id")

        msgtype = d.pop("msgtype")

        id = d.pop("id", UNSET)

        account = d.pop("account", UNSET)

        markdown = d.pop("markdown", UNSET)

        template_card = d.pop("template_card", UNSET)

        robot_reply_request = cls(
            message_id=message_id,
            msgtype=msgtype,
            id=id,
            account=account,
            markdown=markdown,
            template_card=template_card,
        )


        robot_reply_request.additional_properties = d
        return robot_reply_request

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
