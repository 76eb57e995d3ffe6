from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.member_event_body import MemberEventBody





T = TypeVar("T", bound="MemberEventPage")



@_attrs_define
class MemberEventPage:
    """ A page of member events.

        Example:
            {'events': [{'event_id': 4712, 'user_id': 'lisi', 'kind': 'subscribe', 'account': 'hr', 'payload': {'agent_id':
                1000002}, 'occurred_at': '2026-11-28T09:31:00+00:00', 'received_at': '2026-11-28T09:31:00.050+00:00'}]}

        Attributes:
            events (list[MemberEventBody]): Newest first.
            next_cursor (str | Unset): Pass as `cursor` for the next page.
     """

    events: list[MemberEventBody]
    next_cursor: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.member_event_body import MemberEventBody # noqa: PLC0415
        events = []
        for events_item_data in self.events:
            events_item = events_item_data.to_dict()
            events.append(events_item)



        next_cursor = self.next_cursor


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "events": events,
        })
        if next_cursor is not UNSET:
            field_dict["next_cursor"] = next_cursor

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.member_event_body import MemberEventBody # noqa: PLC0415
        d = dict(src_dict)
        events = []
        _events = d.pop("events")
        for events_item_data in (_events):
            events_item = MemberEventBody.from_dict(events_item_data)



            events.append(events_item)


        next_cursor = d.pop("next_cursor", UNSET)

        member_event_page = cls(
            events=events,
            next_cursor=next_cursor,
        )


        member_event_page.additional_properties = d
        return member_event_page

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
