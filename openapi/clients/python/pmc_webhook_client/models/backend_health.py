from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="BackendHealth")



@_attrs_define
class BackendHealth:
    """ One backend fed from the event log.

        Attributes:
            name (str): `tracking` (the actors' store), `mongodb` (the raw log),
                `events_view` (the shared events view in MySQL), or `disk` (free
                space of the data directory against `storage.min_free_bytes`).
            healthy (bool): Its last write or check succeeded.
            backlog (int): Events committed locally and not yet applied there.
     """

    name: str
    healthy: bool
    backlog: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        name = self.name

        healthy = self.healthy

        backlog = self.backlog


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "name": name,
            "healthy": healthy,
            "backlog": backlog,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        healthy = d.pop("healthy")

        backlog = d.pop("backlog")

        backend_health = cls(
            name=name,
            healthy=healthy,
            backlog=backlog,
        )


        backend_health.additional_properties = d
        return backend_health

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
