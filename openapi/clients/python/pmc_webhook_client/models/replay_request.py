from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
import datetime






T = TypeVar("T", bound="ReplayRequest")



@_attrs_define
class ReplayRequest:
    """ What to replay.

        Example:
            {'since': '2026-11-28T00:00:00+00:00', 'until': '2026-11-28T12:00:00+00:00', 'kinds': ['status'],
                'subscription_id': 'sub_0123456789abcdef01234567'}

        Attributes:
            since (datetime.datetime): Stored at or after.
            until (datetime.datetime | Unset): Stored before (default: now).
            kinds (list[str] | Unset): Kinds to replay (default: all).
            subscription_id (str | Unset): Only to this subscription (default: every one wanting the kinds).
     """

    since: datetime.datetime
    until: datetime.datetime | Unset = UNSET
    kinds: list[str] | Unset = UNSET
    subscription_id: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        since = self.since.isoformat()

        until: str | Unset = UNSET
        if not isinstance(self.until, Unset):
            until = self.until.isoformat()

        kinds: list[str] | Unset = UNSET
        if not isinstance(self.kinds, Unset):
            kinds = self.kinds



        subscription_id = self.subscription_id


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "since": since,
        })
        if until is not UNSET:
            field_dict["until"] = until
        if kinds is not UNSET:
            field_dict["kinds"] = kinds
        if subscription_id is not UNSET:
            field_dict["subscription_id"] = subscription_id

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        since = datetime.datetime.fromisoformat(d.pop("since"))




        _until = d.pop("until", UNSET)
        until: datetime.datetime | Unset
        if isinstance(_until,  Unset):
            until = UNSET
        else:
            until = datetime.datetime.fromisoformat(_until)




        kinds = cast(list[str], d.pop("kinds", UNSET))


        subscription_id = d.pop("subscription_id", UNSET)

        replay_request = cls(
            since=since,
            until=until,
            kinds=kinds,
            subscription_id=subscription_id,
        )


        replay_request.additional_properties = d
        return replay_request

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
