from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
import datetime






T = TypeVar("T", bound="HistoryEntry")



@_attrs_define
class HistoryEntry:
    """ One history entry.

        Attributes:
            event_id (int): The event it came from.
            recipient (str): Recipient (`""` for the whole message).
            status (str): Status observed or implied.
            outcome (str): `applied`, `implied`, `duplicate`, `stale`, `conflict`.
            source (str): `register`, `status_webhook`, `wecom_card`, …
            received_at (datetime.datetime): When it arrived.
            from_status (str | Unset): Status before.
            occurred_at (datetime.datetime | Unset): When it says it happened.
            detail (str | Unset): Free text from the source.
     """

    event_id: int
    recipient: str
    status: str
    outcome: str
    source: str
    received_at: datetime.datetime
    from_status: str | Unset = UNSET
    occurred_at: datetime.datetime | Unset = UNSET
    detail: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        event_id = self.event_id

        recipient = self.recipient

        status = self.status

        outcome = self.outcome

        source = self.source

        received_at = self.received_at.isoformat()

        from_status = self.from_status

        occurred_at: str | Unset = UNSET
        if not isinstance(self.occurred_at, Unset):
            occurred_at = self.occurred_at.isoformat()

        detail = self.detail


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "event_id": event_id,
            "recipient": recipient,
            "status": status,
            "outcome": outcome,
            "source": source,
            "received_at": received_at,
        })
        if from_status is not UNSET:
            field_dict["from_status"] = from_status
        if occurred_at is not UNSET:
            field_dict["occurred_at"] = occurred_at
        if detail is not UNSET:
            field_dict["detail"] = detail

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        event_id = d.pop("event_id")

        recipient = d.pop("recipient")

        status = d.pop("status")

        outcome = d.pop("outcome")

        source = d.pop("source")

        received_at = datetime.datetime.fromisoformat(d.pop("received_at"))




        from_status = d.pop("from_status", UNSET)

        _occurred_at = d.pop("occurred_at", UNSET)
        occurred_at: datetime.datetime | Unset
        if isinstance(_occurred_at,  Unset):
            occurred_at = UNSET
        else:
            occurred_at = datetime.datetime.fromisoformat(_occurred_at)




        detail = d.pop("detail", UNSET)

        history_entry = cls(
            event_id=event_id,
            recipient=recipient,
            status=status,
            outcome=outcome,
            source=source,
            received_at=received_at,
            from_status=from_status,
            occurred_at=occurred_at,
            detail=detail,
        )


        history_entry.additional_properties = d
        return history_entry

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
