from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
import datetime






T = TypeVar("T", bound="EventSummary")



@_attrs_define
class EventSummary:
    """ A stored callback, without its bodies.

        Attributes:
            id (int): Event id (monotonic in commit order within its instance's event log).
            instance (str): The instance (replica) whose event log stored it.
            received_at (datetime.datetime): When it arrived.
            channel (str): `wechat_api` or `wechat_bot` (`api`, `status_webhook`, … for events of other sources).
            account (str): The account it came in for or was sent through (`GET /api/v1/accounts`).
            callback_type (str): Type label, e.g. `message.text`, `event.template_card_event`, `robot.event.enter_chat`.
            dedupe_key (str): The key retries are recognised by.
            user_id (str | Unset): The member who caused it, when there is one.
     """

    id: int
    instance: str
    received_at: datetime.datetime
    channel: str
    account: str
    callback_type: str
    dedupe_key: str
    user_id: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        id = self.id

        instance = self.instance

        received_at = self.received_at.isoformat()

        channel = self.channel

        account = self.account

        callback_type = self.callback_type

        dedupe_key = self.dedupe_key

        user_id = self.user_id


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "id": id,
            "instance": instance,
            "received_at": received_at,
            "channel": channel,
            "account": account,
            "callback_type": callback_type,
            "dedupe_key": dedupe_key,
        })
        if user_id is not UNSET:
            field_dict["user_id"] = user_id

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        instance = d.pop("instance")

        received_at = datetime.datetime.fromisoformat(d.pop("received_at"))




        channel = d.pop("channel")

        account = d.pop("account")

        callback_type = d.pop("callback_type")

        dedupe_key = d.pop("dedupe_key")

        user_id = d.pop("user_id", UNSET)

        event_summary = cls(
            id=id,
            instance=instance,
            received_at=received_at,
            channel=channel,
            account=account,
            callback_type=callback_type,
            dedupe_key=dedupe_key,
            user_id=user_id,
        )


        event_summary.additional_properties = d
        return event_summary

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
