from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.history_entry import HistoryEntry





T = TypeVar("T", bound="HistoryBody")



@_attrs_define
class HistoryBody:
    """ The history answer.

        Example:
            {'message_id': 'order-20261128-0001', 'history': [{'event_id': 4700, 'recipient': 'zhangsan', 'status': 'sent',
                'outcome': 'applied', 'source': 'wecom_send', 'received_at': '2026-11-28T09:30:01+00:00'}, {'event_id': 4711,
                'recipient': 'zhangsan', 'status': 'delivered', 'outcome': 'implied', 'from_status': 'sent', 'source':
                'wecom_card', 'received_at': '2026-11-28T09:30:12+00:00'}, {'event_id': 4711, 'recipient': 'zhangsan', 'status':
                'read', 'outcome': 'applied', 'from_status': 'delivered', 'source': 'wecom_card', 'occurred_at':
                '2026-11-28T09:30:12+00:00', 'received_at': '2026-11-28T09:30:12+00:00'}]}

        Attributes:
            message_id (str): Message id.
            history (list[HistoryEntry]): Every observation in the order applied.
     """

    message_id: str
    history: list[HistoryEntry]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.history_entry import HistoryEntry # noqa: PLC0415
        message_id = self.message_id

        history = []
        for history_item_data in self.history:
            history_item = history_item_data.to_dict()
            history.append(history_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "message_id": message_id,
            "history": history,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.history_entry import HistoryEntry # noqa: PLC0415
        d = dict(src_dict)
        message_id = d.pop("message_id")

        history = []
        _history = d.pop("history")
        for history_item_data in (_history):
            history_item = HistoryEntry.from_dict(history_item_data)



            history.append(history_item)


        history_body = cls(
            message_id=message_id,
            history=history,
        )


        history_body.additional_properties = d
        return history_body

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
