from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.backend_health import BackendHealth





T = TypeVar("T", bound="HealthBody")



@_attrs_define
class HealthBody:
    """ Health of the service.

        Example:
            {'status': 'ok', 'event_log_ready': True, 'event_log_readable': True, 'backends': [{'name': 'tracking',
                'healthy': True, 'backlog': 0}]}

        Attributes:
            status (str): `ok`; `degraded` when callbacks are acknowledged but a backend is
                down or behind (still 200: the load balancer should keep sending);
                `unavailable` (503) when callbacks cannot be acknowledged.
            event_log_ready (bool): The event log committer is running and its last commit succeeded.
            event_log_readable (bool): A read from the event log succeeded just now.
            backends (list[BackendHealth]): What the event log has that a backend does not have yet.
            last_error (str | Unset): The last commit error, if the last commit failed.
     """

    status: str
    event_log_ready: bool
    event_log_readable: bool
    backends: list[BackendHealth]
    last_error: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.backend_health import BackendHealth # noqa: PLC0415
        status = self.status

        event_log_ready = self.event_log_ready

        event_log_readable = self.event_log_readable

        backends = []
        for backends_item_data in self.backends:
            backends_item = backends_item_data.to_dict()
            backends.append(backends_item)



        last_error = self.last_error


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "status": status,
            "event_log_ready": event_log_ready,
            "event_log_readable": event_log_readable,
            "backends": backends,
        })
        if last_error is not UNSET:
            field_dict["last_error"] = last_error

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.backend_health import BackendHealth # noqa: PLC0415
        d = dict(src_dict)
        status = d.pop("status")

        event_log_ready = d.pop("event_log_ready")

        event_log_readable = d.pop("event_log_readable")

        backends = []
        _backends = d.pop("backends")
        for backends_item_data in (_backends):
            backends_item = BackendHealth.from_dict(backends_item_data)



            backends.append(backends_item)


        last_error = d.pop("last_error", UNSET)

        health_body = cls(
            status=status,
            event_log_ready=event_log_ready,
            event_log_readable=event_log_readable,
            backends=backends,
            last_error=last_error,
        )


        health_body.additional_properties = d
        return health_body

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
