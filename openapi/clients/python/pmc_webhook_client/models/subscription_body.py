from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
import datetime






T = TypeVar("T", bound="SubscriptionBody")



@_attrs_define
class SubscriptionBody:
    """ A subscription.

        Example:
            {'id': 'sub_4f2a9c0e1b7d3a5c6e8f0a1b', 'url': 'https://erp.example.com/wecom-events', 'kinds': ['interaction',
                'status'], 'accounts': ['hr'], 'secret': 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'source': 'api',
                'created_at': '2026-11-28T08:00:00+00:00'}

        Attributes:
            id (str): Its id.
            url (str): Where events are POSTed.
            kinds (list[str]): What it receives.
            source (str): `api`, or `config` (read-only here).
            created_at (datetime.datetime): Created.
            accounts (list[str] | Unset): The accounts whose events it receives; absent: every account's.
            secret (str | Unset): The signing secret: only in the answer that created it.
            previous_secret_expires_at (datetime.datetime | Unset): While a rotation overlaps: when the previous secret
                stops signing.
     """

    id: str
    url: str
    kinds: list[str]
    source: str
    created_at: datetime.datetime
    accounts: list[str] | Unset = UNSET
    secret: str | Unset = UNSET
    previous_secret_expires_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        id = self.id

        url = self.url

        kinds = self.kinds



        source = self.source

        created_at = self.created_at.isoformat()

        accounts: list[str] | Unset = UNSET
        if not isinstance(self.accounts, Unset):
            accounts = self.accounts



        secret = self.secret

        previous_secret_expires_at: str | Unset = UNSET
        if not isinstance(self.previous_secret_expires_at, Unset):
            previous_secret_expires_at = self.previous_secret_expires_at.isoformat()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "id": id,
            "url": url,
            "kinds": kinds,
            "source": source,
            "created_at": created_at,
        })
        if accounts is not UNSET:
            field_dict["accounts"] = accounts
        if secret is not UNSET:
            field_dict["secret"] = secret
        if previous_secret_expires_at is not UNSET:
            field_dict["previous_secret_expires_at"] = previous_secret_expires_at

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        url = d.pop("url")

        kinds = cast(list[str], d.pop("kinds"))


        source = d.pop("source")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        accounts = cast(list[str], d.pop("accounts", UNSET))


        secret = d.pop("secret", UNSET)

        _previous_secret_expires_at = d.pop("previous_secret_expires_at", UNSET)
        previous_secret_expires_at: datetime.datetime | Unset
        if isinstance(_previous_secret_expires_at,  Unset):
            previous_secret_expires_at = UNSET
        else:
            previous_secret_expires_at = datetime.datetime.fromisoformat(_previous_secret_expires_at)




        subscription_body = cls(
            id=id,
            url=url,
            kinds=kinds,
            source=source,
            created_at=created_at,
            accounts=accounts,
            secret=secret,
            previous_secret_expires_at=previous_secret_expires_at,
        )


        subscription_body.additional_properties = d
        return subscription_body

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
