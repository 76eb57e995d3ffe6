from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="WeComAnswerBody")



@_attrs_define
class WeComAnswerBody:
    """ What WeCom answered.

        Example:
            {'message_id': 'order-20261128-0001', 'errcode': 0, 'errmsg': 'ok', 'invalid_users': []}

        Attributes:
            message_id (str): The message.
            errcode (int): WeCom's code (0: done).
            errmsg (str): WeCom's text.
            invalid_users (list[str]): Users WeCom could not update the card for.
     """

    message_id: str
    errcode: int
    errmsg: str
    invalid_users: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        message_id = self.message_id

        errcode = self.errcode

        errmsg = self.errmsg

        invalid_users = self.invalid_users




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "message_id": message_id,
            "errcode": errcode,
            "errmsg": errmsg,
            "invalid_users": invalid_users,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        message_id = d.pop("message_id")

        errcode = d.pop("errcode")

        errmsg = d.pop("errmsg")

        invalid_users = cast(list[str], d.pop("invalid_users"))


        we_com_answer_body = cls(
            message_id=message_id,
            errcode=errcode,
            errmsg=errmsg,
            invalid_users=invalid_users,
        )


        we_com_answer_body.additional_properties = d
        return we_com_answer_body

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
