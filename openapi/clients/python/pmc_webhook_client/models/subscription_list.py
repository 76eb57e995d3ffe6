from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.subscription_body import SubscriptionBody





T = TypeVar("T", bound="SubscriptionList")



@_attrs_define
class SubscriptionList:
    """ Every subscription.

        Example:
            {'subscriptions': [{'id': 'sub_4f2a9c0e1b7d3a5c6e8f0a1b', 'url': 'https://erp.example.com/wecom-events',
                'kinds': ['interaction', 'status'], 'accounts': ['hr'], 'source': 'api', 'created_at':
                '2026-11-28T08:00:00+00:00'}]}

        Attributes:
            subscriptions (list[SubscriptionBody]): Oldest first.
     """

    subscriptions: list[SubscriptionBody]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.subscription_body import SubscriptionBody # noqa: PLC0415
        subscriptions = []
        for subscriptions_item_data in self.subscriptions:
            subscriptions_item = subscriptions_item_data.to_dict()
            subscriptions.append(subscriptions_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "subscriptions": subscriptions,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.subscription_body import SubscriptionBody # noqa: PLC0415
        d = dict(src_dict)
        subscriptions = []
        _subscriptions = d.pop("subscriptions")
        for subscriptions_item_data in (_subscriptions):
            subscriptions_item = SubscriptionBody.from_dict(subscriptions_item_data)



            subscriptions.append(subscriptions_item)


        subscription_list = cls(
            subscriptions=subscriptions,
        )


        subscription_list.additional_properties = d
        return subscription_list

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
