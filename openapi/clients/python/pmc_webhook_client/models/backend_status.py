from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset






T = TypeVar("T", bound="BackendStatus")



@_attrs_define
class BackendStatus:
    """ One storage backend.

        Attributes:
            name (str): `event_log`, `mysql`, `redis`, `mongodb`.
            kind (str): `sqlite`, …
            configured (bool): Configured through settings or environment.
            in_use (bool): Actually used by this version of the service.
            detail (str): Where it lives or why it is not used.
            healthy (bool | Unset): Healthy right now (for backends in use).
     """

    name: str
    kind: str
    configured: bool
    in_use: bool
    detail: str
    healthy: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        name = self.name

        kind = self.kind

        configured = self.configured

        in_use = self.in_use

        detail = self.detail

        healthy = self.healthy


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "name": name,
            "kind": kind,
            "configured": configured,
            "in_use": in_use,
            "detail": detail,
        })
        if healthy is not UNSET:
            field_dict["healthy"] = healthy

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        kind = d.pop("kind")

        configured = d.pop("configured")

        in_use = d.pop("in_use")

        detail = d.pop("detail")

        healthy = d.pop("healthy", UNSET)

        backend_status = cls(
            name=name,
            kind=kind,
            configured=configured,
            in_use=in_use,
            detail=detail,
            healthy=healthy,
        )


        backend_status.additional_properties = d
        return backend_status

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
