from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="NewSubscription")



@_attrs_define
class NewSubscription:
    """ A subscription to create.

        Example:
            {'url': 'https://erp.example.com/wecom-events', 'kinds': ['status', 'interaction'], 'accounts': ['hr']}

        Attributes:
            url (str): Where to POST each event (http or https; private and loopback
                addresses are refused unless the configuration allows them).
            kinds (list[str]): What to receive: `status` (status changes), `interaction`, `member`,
                `callback` (raw WeCom callbacks).
            accounts (list[str] | Unset): Only these accounts' events (`default` is the seed's app and robot);
                absent or empty: every account's. Ids not configured yet are allowed
                (their events arrive once the account is added); each must be
                `[a-z0-9_-]{1,40}`.
            secret (str | Unset): The Standard Webhooks secret (`whsec_…` + base64) deliveries are
                signed with; generated when absent.
     """

    url: str
    kinds: list[str]
    accounts: list[str] | Unset = UNSET
    secret: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        url = self.url

        kinds = self.kinds



        accounts: list[str] | Unset = UNSET
        if not isinstance(self.accounts, Unset):
            accounts = self.accounts



        secret = self.secret


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "url": url,
            "kinds": kinds,
        })
        if accounts is not UNSET:
            field_dict["accounts"] = accounts
        if secret is not UNSET:
            field_dict["secret"] = secret

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        url = d.pop("url")

        kinds = cast(list[str], d.pop("kinds"))


        accounts = cast(list[str], d.pop("accounts", UNSET))


        secret = d.pop("secret", UNSET)

        new_subscription = cls(
            url=url,
            kinds=kinds,
            accounts=accounts,
            secret=secret,
        )


        new_subscription.additional_properties = d
        return new_subscription

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
