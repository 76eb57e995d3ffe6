from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.delivery_body import DeliveryBody





T = TypeVar("T", bound="DeliveryPage")



@_attrs_define
class DeliveryPage:
    """ A page of deliveries.

        Example:
            {'deliveries': [{'id': 812, 'subscription_id': 'sub_4f2a9c0e1b7d3a5c6e8f0a1b', 'event_type': 'message.status',
                'state': 'delivered', 'attempts': 1, 'last_status': 204, 'created_at': '2026-11-28T09:30:12.300+00:00',
                'delivered_at': '2026-11-28T09:30:12.410+00:00', 'payload': {'type': 'message.status', 'data': {'message_id':
                'order-20261128-0001', 'account': 'default', 'recipient': 'zhangsan', 'status': 'read'}}}], 'next_cursor':
                '811'}

        Attributes:
            deliveries (list[DeliveryBody]): Newest first.
            next_cursor (str | Unset): Pass as `cursor` for the next page.
     """

    deliveries: list[DeliveryBody]
    next_cursor: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.delivery_body import DeliveryBody # noqa: PLC0415
        deliveries = []
        for deliveries_item_data in self.deliveries:
            deliveries_item = deliveries_item_data.to_dict()
            deliveries.append(deliveries_item)



        next_cursor = self.next_cursor


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "deliveries": deliveries,
        })
        if next_cursor is not UNSET:
            field_dict["next_cursor"] = next_cursor

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.delivery_body import DeliveryBody # noqa: PLC0415
        d = dict(src_dict)
        deliveries = []
        _deliveries = d.pop("deliveries")
        for deliveries_item_data in (_deliveries):
            deliveries_item = DeliveryBody.from_dict(deliveries_item_data)



            deliveries.append(deliveries_item)


        next_cursor = d.pop("next_cursor", UNSET)

        delivery_page = cls(
            deliveries=deliveries,
            next_cursor=next_cursor,
        )


        delivery_page.additional_properties = d
        return delivery_page

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
