from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.event_summary import EventSummary





T = TypeVar("T", bound="EventPageBody")



@_attrs_define
class EventPageBody:
    """ A page of events.

        Example:
            {'events': [{'id': 4711, 'instance': '7bfff4c16f606db3', 'received_at': '2026-11-28T09:30:12.180+00:00',
                'channel': 'wechat_api', 'account': 'default', 'callback_type': 'event.template_card_event', 'dedupe_key':
                'event:zhangsan:1764322212:template_card_event:task-0001', 'user_id': 'zhangsan'}], 'next_cursor': '4711',
                'source': 'local'}

        Attributes:
            events (list[EventSummary]): Newest first.
            source (str): Where the page was read: `mongodb` or `mysql` (every replica's
                events), or `event_log` (this replica's).
            next_cursor (str | Unset): Pass as `cursor` for the next page; absent on the last page.
     """

    events: list[EventSummary]
    source: str
    next_cursor: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.event_summary import EventSummary # noqa: PLC0415
        events = []
        for events_item_data in self.events:
            events_item = events_item_data.to_dict()
            events.append(events_item)



        source = self.source

        next_cursor = self.next_cursor


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "events": events,
            "source": source,
        })
        if next_cursor is not UNSET:
            field_dict["next_cursor"] = next_cursor

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.event_summary import EventSummary # noqa: PLC0415
        d = dict(src_dict)
        events = []
        _events = d.pop("events")
        for events_item_data in (_events):
            events_item = EventSummary.from_dict(events_item_data)



            events.append(events_item)


        source = d.pop("source")

        next_cursor = d.pop("next_cursor", UNSET)

        event_page_body = cls(
            events=events,
            source=source,
            next_cursor=next_cursor,
        )


        event_page_body.additional_properties = d
        return event_page_body

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
