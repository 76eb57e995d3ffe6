from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="EventLogStatus")



@_attrs_define
class EventLogStatus:
    """ Event log counters.

        Attributes:
            events_total (int): Events stored in total.
            quarantined_total (int): Callbacks kept in quarantine.
            batches (int): Transactions committed since start.
            requests (int): Requests acknowledged since start.
            largest_batch (int): Largest group-commit batch since start.
            last_commit_micros (int): Duration of the last commit, µs.
            failed_batches (int): Failed commits since start.
     """

    events_total: int
    quarantined_total: int
    batches: int
    requests: int
    largest_batch: int
    last_commit_micros: int
    failed_batches: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        events_total = self.events_total

        quarantined_total = self.quarantined_total

        batches = self.batches

        requests = self.requests

        largest_batch = self.largest_batch

        last_commit_micros = self.last_commit_micros

        failed_batches = self.failed_batches


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "events_total": events_total,
            "quarantined_total": quarantined_total,
            "batches": batches,
            "requests": requests,
            "largest_batch": largest_batch,
            "last_commit_micros": last_commit_micros,
            "failed_batches": failed_batches,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        events_total = d.pop("events_total")

        quarantined_total = d.pop("quarantined_total")

        batches = d.pop("batches")

        requests = d.pop("requests")

        largest_batch = d.pop("largest_batch")

        last_commit_micros = d.pop("last_commit_micros")

        failed_batches = d.pop("failed_batches")

        event_log_status = cls(
            events_total=events_total,
            quarantined_total=quarantined_total,
            batches=batches,
            requests=requests,
            largest_batch=largest_batch,
            last_commit_micros=last_commit_micros,
            failed_batches=failed_batches,
        )


        event_log_status.additional_properties = d
        return event_log_status

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
