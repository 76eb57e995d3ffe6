from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset






T = TypeVar("T", bound="ConnectionBody")



@_attrs_define
class ConnectionBody:
    """ A `websocket` robot's long connection, as this replica sees it.

        Attributes:
            state (str): `connected`, `connecting`, `reconnecting`, `kicked` (a newer
                subscription replaced it: nobody reconnects until
                `POST /api/v1/accounts/{id}/reconnect`), `standby` (another replica
                holds it), `waiting` (the lease store does not answer), `stopped`.
            holder (str | Unset): The replica (instance id) holding the bot's lease, and so its one
                connection; absent while nobody does or the lease store does not answer.
            since (str | Unset): Since when, as this replica saw it (RFC 3339).
     """

    state: str
    holder: str | Unset = UNSET
    since: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        state = self.state

        holder = self.holder

        since = self.since


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "state": state,
        })
        if holder is not UNSET:
            field_dict["holder"] = holder
        if since is not UNSET:
            field_dict["since"] = since

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        state = d.pop("state")

        holder = d.pop("holder", UNSET)

        since = d.pop("since", UNSET)

        connection_body = cls(
            state=state,
            holder=holder,
            since=since,
        )


        connection_body.additional_properties = d
        return connection_body

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
