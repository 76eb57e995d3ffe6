from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
import datetime






T = TypeVar("T", bound="InteractionBody")



@_attrs_define
class InteractionBody:
    """ A user interaction.

        Attributes:
            event_id (int): The event it came from.
            user_id (str): Who.
            kind (str): `card_click`, `card_menu`, `menu_click`, `menu_view`, `reply`, `enter_agent`, `location`, `scan`,
                `picture`, `robot_enter_chat`, `robot_feedback`, `robot_message`, …
            callback_type (str): The callback type.
            channel (str): The channel.
            account (str): The account it came in for.
            payload (Any): The typed callback.
            received_at (datetime.datetime): When it arrived.
            message_id (str | Unset): The tracked message it concerns (card clicks on registered cards).
            occurred_at (datetime.datetime | Unset): When it happened.
     """

    event_id: int
    user_id: str
    kind: str
    callback_type: str
    channel: str
    account: str
    payload: Any
    received_at: datetime.datetime
    message_id: str | Unset = UNSET
    occurred_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        event_id = self.event_id

        user_id = self.user_id

        kind = self.kind

        callback_type = self.callback_type

        channel = self.channel

        account = self.account

        payload = self.payload

        received_at = self.received_at.isoformat()

        message_id = self.message_id

        occurred_at: str | Unset = UNSET
        if not isinstance(self.occurred_at, Unset):
            occurred_at = self.occurred_at.isoformat()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "event_id": event_id,
            "user_id": user_id,
            "kind": kind,
            "callback_type": callback_type,
            "channel": channel,
            "account": account,
            "payload": payload,
            "received_at": received_at,
        })
        if message_id is not UNSET:
            field_dict["message_id"] = message_id
        if occurred_at is not UNSET:
            field_dict["occurred_at"] = occurred_at

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        event_id = d.pop("event_id")

        user_id = d.pop("user_id")

        kind = d.pop("kind")

        callback_type = d.pop("callback_type")

        channel = d.pop("channel")

        account = d.pop("account")

        payload = d.pop("payload")

        received_at = datetime.datetime.fromisoformat(d.pop("received_at"))




        message_id = d.pop("message_id", UNSET)

        _occurred_at = d.pop("occurred_at", UNSET)
        occurred_at: datetime.datetime | Unset
        if isinstance(_occurred_at,  Unset):
            occurred_at = UNSET
        else:
            occurred_at = datetime.datetime.fromisoformat(_occurred_at)




        interaction_body = cls(
            event_id=event_id,
            user_id=user_id,
            kind=kind,
            callback_type=callback_type,
            channel=channel,
            account=account,
            payload=payload,
            received_at=received_at,
            message_id=message_id,
            occurred_at=occurred_at,
        )


        interaction_body.additional_properties = d
        return interaction_body

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
