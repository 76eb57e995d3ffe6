from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.backend_status import BackendStatus
  from ..models.storage_status_event_log import StorageStatusEventLog





T = TypeVar("T", bound="StatusBodyStorage")



@_attrs_define
class StatusBodyStorage:
    """ Storage in use.

        Attributes:
            mode (str): `embedded` (SQLite event log, in-process caches).
            backends (list[BackendStatus]): Each backend.
            event_log (StorageStatusEventLog): Event log counters.
     """

    mode: str
    backends: list[BackendStatus]
    event_log: StorageStatusEventLog
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.backend_status import BackendStatus # noqa: PLC0415
        from ..models.storage_status_event_log import StorageStatusEventLog # noqa: PLC0415
        mode = self.mode

        backends = []
        for backends_item_data in self.backends:
            backends_item = backends_item_data.to_dict()
            backends.append(backends_item)



        event_log = self.event_log.to_dict()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "mode": mode,
            "backends": backends,
            "event_log": event_log,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.backend_status import BackendStatus # noqa: PLC0415
        from ..models.storage_status_event_log import StorageStatusEventLog # noqa: PLC0415
        d = dict(src_dict)
        mode = d.pop("mode")

        backends = []
        _backends = d.pop("backends")
        for backends_item_data in (_backends):
            backends_item = BackendStatus.from_dict(backends_item_data)



            backends.append(backends_item)


        event_log = StorageStatusEventLog.from_dict(d.pop("event_log"))




        status_body_storage = cls(
            mode=mode,
            backends=backends,
            event_log=event_log,
        )


        status_body_storage.additional_properties = d
        return status_body_storage

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
