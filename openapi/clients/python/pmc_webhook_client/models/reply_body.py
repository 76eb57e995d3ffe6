from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="ReplyBody")



@_attrs_define
class ReplyBody:
    """ A reply, queued.

        Attributes:
            id (str): The tracked message (`GET /api/v1/messages/{id}`: `sent`, or `failed` with WeCom's errcode).
            account (str): The robot account.
            message_id (str): The callback whose `response_url` carries it.
            feedback_id (str): The feedback id the reply carries.
            status (str): `queued`.
     """

    id: str
    account: str
    message_id: str
    feedback_id: str
    status: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        id = self.id

        account = self.account

        message_id = self.message_id

        feedback_id = self.feedback_id

        status = self.status


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "id": id,
            "account": account,
            "message_id": message_id,
            "feedback_id": feedback_id,
            "status": status,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        account = d.pop("account")

        message_id = d.pop("message_id")

        feedback_id = d.pop("feedback_id")

        status = d.pop("status")

        reply_body = cls(
            id=id,
            account=account,
            message_id=message_id,
            feedback_id=feedback_id,
            status=status,
        )


        reply_body.additional_properties = d
        return reply_body

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
