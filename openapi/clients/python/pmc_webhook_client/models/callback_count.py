from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="CallbackCount")



@_attrs_define
class CallbackCount:
    """ One callback counter.

        Attributes:
            channel (str): `wechat_api` or `wechat_bot`.
            callback_type (str): Type label.
            outcome (str): `stored`, `duplicate`, `verified`, `quarantined`, a -400xx code, …
            count (int): How many.
     """

    channel: str
    callback_type: str
    outcome: str
    count: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        channel = self.channel

        callback_type = self.callback_type

        outcome = self.outcome

        count = self.count


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "channel": channel,
            "callback_type": callback_type,
            "outcome": outcome,
            "count": count,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        channel = d.pop("channel")

        callback_type = d.pop("callback_type")

        outcome = d.pop("outcome")

        count = d.pop("count")

        callback_count = cls(
            channel=channel,
            callback_type=callback_type,
            outcome=outcome,
            count=count,
        )


        callback_count.additional_properties = d
        return callback_count

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
