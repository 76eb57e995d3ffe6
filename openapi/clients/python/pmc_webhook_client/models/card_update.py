from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="CardUpdate")



@_attrs_define
class CardUpdate:
    """ A card update: grey out the buttons with `button.replace_name`, or
    replace the card with `template_card`; for all recipients (default) or
    the users, parties and tags given.

        Example:
            {'userids': [], 'partyids': [], 'tagids': [], 'button': {'replace_name': '已处理'}}

        Attributes:
            userids (list[str] | Unset): Only these users.
            partyids (list[int] | Unset): Only these departments.
            tagids (list[int] | Unset): Only these tags.
            button (Any | Unset): `{"replace_name": "已处理"}`: the buttons become one grey label.
            template_card (Any | Unset): A whole new card (same `card_type` fields as when sending).
     """

    userids: list[str] | Unset = UNSET
    partyids: list[int] | Unset = UNSET
    tagids: list[int] | Unset = UNSET
    button: Any | Unset = UNSET
    template_card: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        userids: list[str] | Unset = UNSET
        if not isinstance(self.userids, Unset):
            userids = self.userids



        partyids: list[int] | Unset = UNSET
        if not isinstance(self.partyids, Unset):
            partyids = self.partyids



        tagids: list[int] | Unset = UNSET
        if not isinstance(self.tagids, Unset):
            tagids = self.tagids



        button = self.button

        template_card = self.template_card


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
        })
        if userids is not UNSET:
            field_dict["userids"] = userids
        if partyids is not UNSET:
            field_dict["partyids"] = partyids
        if tagids is not UNSET:
            field_dict["tagids"] = tagids
        if button is not UNSET:
            field_dict["button"] = button
        if template_card is not UNSET:
            field_dict["template_card"] = template_card

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        userids = cast(list[str], d.pop("userids", UNSET))


        partyids = cast(list[int], d.pop("partyids", UNSET))


        tagids = cast(list[int], d.pop("tagids", UNSET))


        button = d.pop("button", UNSET)

        template_card = d.pop("template_card", UNSET)

        card_update = cls(
            userids=userids,
            partyids=partyids,
            tagids=tagids,
            button=button,
            template_card=template_card,
        )


        card_update.additional_properties = d
        return card_update

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
