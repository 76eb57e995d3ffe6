from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.interaction_body import InteractionBody





T = TypeVar("T", bound="InteractionPage")



@_attrs_define
class InteractionPage:
    """ A page of interactions.

        Example:
            {'interactions': [{'event_id': 4711, 'user_id': 'zhangsan', 'kind': 'card_click', 'message_id':
                'order-20261128-0001', 'callback_type': 'event.template_card_event', 'channel': 'wechat_api', 'account':
                'default', 'payload': {'task_id': 'task-0001', 'event_key': 'confirm', 'card_type': 'button_interaction'},
                'occurred_at': '2026-11-28T09:30:12+00:00', 'received_at': '2026-11-28T09:30:12.180+00:00'}], 'next_cursor':
                '4711'}

        Attributes:
            interactions (list[InteractionBody]): Newest first.
            next_cursor (str | Unset): Pass as `cursor` for the next page.
     """

    interactions: list[InteractionBody]
    next_cursor: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.interaction_body import InteractionBody # noqa: PLC0415
        interactions = []
        for interactions_item_data in self.interactions:
            interactions_item = interactions_item_data.to_dict()
            interactions.append(interactions_item)



        next_cursor = self.next_cursor


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "interactions": interactions,
        })
        if next_cursor is not UNSET:
            field_dict["next_cursor"] = next_cursor

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.interaction_body import InteractionBody # noqa: PLC0415
        d = dict(src_dict)
        interactions = []
        _interactions = d.pop("interactions")
        for interactions_item_data in (_interactions):
            interactions_item = InteractionBody.from_dict(interactions_item_data)



            interactions.append(interactions_item)


        next_cursor = d.pop("next_cursor", UNSET)

        interaction_page = cls(
            interactions=interactions,
            next_cursor=next_cursor,
        )


        interaction_page.additional_properties = d
        return interaction_page

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
