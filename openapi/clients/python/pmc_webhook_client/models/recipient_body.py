from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="RecipientBody")



@_attrs_define
class RecipientBody:
    """ One recipient's state.

        Attributes:
            recipient (str): User id (`""` for the message as a whole).
            status (str): Current status.
            reached (list[str]): Every status reached, applied or implied, in order.
     """

    recipient: str
    status: str
    reached: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        recipient = self.recipient

        status = self.status

        reached = self.reached




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "recipient": recipient,
            "status": status,
            "reached": reached,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        recipient = d.pop("recipient")

        status = d.pop("status")

        reached = cast(list[str], d.pop("reached"))


        recipient_body = cls(
            recipient=recipient,
            status=status,
            reached=reached,
        )


        recipient_body.additional_properties = d
        return recipient_body

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
