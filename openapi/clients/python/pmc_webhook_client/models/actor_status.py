from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset






T = TypeVar("T", bound="ActorStatus")



@_attrs_define
class ActorStatus:
    """ Actor supervisor counters.

        Attributes:
            running (bool): Whether the supervisor answered.
            events_applied (int): Events applied since start.
            last_applied_id (int | Unset): Highest event id applied.
     """

    running: bool
    events_applied: int
    last_applied_id: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        running = self.running

        events_applied = self.events_applied

        last_applied_id = self.last_applied_id


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "running": running,
            "events_applied": events_applied,
        })
        if last_applied_id is not UNSET:
            field_dict["last_applied_id"] = last_applied_id

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        running = d.pop("running")

        events_applied = d.pop("events_applied")

        last_applied_id = d.pop("last_applied_id", UNSET)

        actor_status = cls(
            running=running,
            events_applied=events_applied,
            last_applied_id=last_applied_id,
        )


        actor_status.additional_properties = d
        return actor_status

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
