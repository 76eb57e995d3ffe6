from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
import datetime






T = TypeVar("T", bound="DeliveryBody")



@_attrs_define
class DeliveryBody:
    """ One delivery.

        Example:
            {'id': 812, 'subscription_id': 'sub_4f2a9c0e1b7d3a5c6e8f0a1b', 'event_type': 'message.status', 'state':
                'delivered', 'attempts': 1, 'last_status': 204, 'created_at': '2026-11-28T09:30:12.300+00:00', 'delivered_at':
                '2026-11-28T09:30:12.410+00:00', 'payload': {'type': 'message.status', 'data': {'message_id':
                'order-20261128-0001', 'account': 'default', 'recipient': 'zhangsan', 'status': 'read'}}}

        Attributes:
            id (int): Its id (`webhook-id` is `dlv_{id}`).
            subscription_id (str): The subscription.
            event_type (str): `message.status`, `interaction`, `member`, `callback`.
            state (str): `pending`, `delivered` or `dead`.
            attempts (int): Tries so far.
            created_at (datetime.datetime): Created.
            payload (Any): The event as delivered.
            next_attempt_at (datetime.datetime | Unset): The next try, while pending.
            last_status (int | Unset): The receiver's last HTTP status.
            last_error (str | Unset): The last failure.
            delivered_at (datetime.datetime | Unset): Delivered.
     """

    id: int
    subscription_id: str
    event_type: str
    state: str
    attempts: int
    created_at: datetime.datetime
    payload: Any
    next_attempt_at: datetime.datetime | Unset = UNSET
    last_status: int | Unset = UNSET
    last_error: str | Unset = UNSET
    delivered_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        id = self.id

        subscription_id = self.subscription_id

        event_type = self.event_type

        state = self.state

        attempts = self.attempts

        created_at = self.created_at.isoformat()

        payload = self.payload

        next_attempt_at: str | Unset = UNSET
        if not isinstance(self.next_attempt_at, Unset):
            next_attempt_at = self.next_attempt_at.isoformat()

        last_status = self.last_status

        last_error = self.last_error

        delivered_at: str | Unset = UNSET
        if not isinstance(self.delivered_at, Unset):
            delivered_at = self.delivered_at.isoformat()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "id": id,
            "subscription_id": subscription_id,
            "event_type": event_type,
            "state": state,
            "attempts": attempts,
            "created_at": created_at,
            "payload": payload,
        })
        if next_attempt_at is not UNSET:
            field_dict["next_attempt_at"] = next_attempt_at
        if last_status is not UNSET:
            field_dict["last_status"] = last_status
        if last_error is not UNSET:
            field_dict["last_error"] = last_error
        if delivered_at is not UNSET:
            field_dict["delivered_at"] = delivered_at

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        subscription_id = d.pop("subscription_id")

        event_type = d.pop("event_type")

        state = d.pop("state")

        attempts = d.pop("attempts")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        payload = d.pop("payload")

        _next_attempt_at = d.pop("next_attempt_at", UNSET)
        next_attempt_at: datetime.datetime | Unset
        if isinstance(_next_attempt_at,  Unset):
            next_attempt_at = UNSET
        else:
            next_attempt_at = datetime.datetime.fromisoformat(_next_attempt_at)




        last_status = d.pop("last_status", UNSET)

        last_error = d.pop("last_error", UNSET)

        _delivered_at = d.pop("delivered_at", UNSET)
        delivered_at: datetime.datetime | Unset
        if isinstance(_delivered_at,  Unset):
            delivered_at = UNSET
        else:
            delivered_at = datetime.datetime.fromisoformat(_delivered_at)




        delivery_body = cls(
            id=id,
            subscription_id=subscription_id,
            event_type=event_type,
            state=state,
            attempts=attempts,
            created_at=created_at,
            payload=payload,
            next_attempt_at=next_attempt_at,
            last_status=last_status,
            last_error=last_error,
            delivered_at=delivered_at,
        )


        delivery_body.additional_properties = d
        return delivery_body

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
