from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
import datetime






T = TypeVar("T", bound="MemberEventBody")



@_attrs_define
class MemberEventBody:
    """ A member event.

        Attributes:
            event_id (int): The event it came from.
            kind (str): `subscribe`, `unsubscribe`, `create_user`, `update_user`, `delete_user`, `create_party`, …
            account (str): The account it came in for.
            payload (Any): The typed callback.
            received_at (datetime.datetime): When it arrived.
            user_id (str | Unset): The member, when named.
            occurred_at (datetime.datetime | Unset): When it happened.
     """

    event_id: int
    kind: str
    account: str
    payload: Any
    received_at: datetime.datetime
    user_id: str | Unset = UNSET
    occurred_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        event_id = self.event_id

        kind = self.kind

        account = self.account

        payload = self.payload

        received_at = self.received_at.isoformat()

        user_id = self.user_id

        occurred_at: str | Unset = UNSET
        if not isinstance(self.occurred_at, Unset):
            occurred_at = self.occurred_at.isoformat()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "event_id": event_id,
            "kind": kind,
            "account": account,
            "payload": payload,
            "received_at": received_at,
        })
        if user_id is not UNSET:
            field_dict["user_id"] = user_id
        if occurred_at is not UNSET:
            field_dict["occurred_at"] = occurred_at

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        event_id = d.pop("event_id")

        kind = d.pop("kind")

        account = d.pop("account")

        payload = d.pop("payload")

        received_at = datetime.datetime.fromisoformat(d.pop("received_at"))




        user_id = d.pop("user_id", UNSET)

        _occurred_at = d.pop("occurred_at", UNSET)
        occurred_at: datetime.datetime | Unset
        if isinstance(_occurred_at,  Unset):
            occurred_at = UNSET
        else:
            occurred_at = datetime.datetime.fromisoformat(_occurred_at)




        member_event_body = cls(
            event_id=event_id,
            kind=kind,
            account=account,
            payload=payload,
            received_at=received_at,
            user_id=user_id,
            occurred_at=occurred_at,
        )


        member_event_body.additional_properties = d
        return member_event_body

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
