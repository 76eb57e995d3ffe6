from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="StreamUpdate")



@_attrs_define
class StreamUpdate:
    """ A write to a stream: the whole answer so far.

        Example:
            {'content': '订单 **20261128-0001** 已发货，预计明天送达。', 'finish': True, 'msg_item': []}

        Attributes:
            content (str): The full text so far, Markdown (≤ 20480 bytes; replaces the previous).
            finish (bool | Unset): The last write: WeCom stops polling. Default: False.
            msg_item (list[Any] | Unset): Images shown with the finished answer (≤ 10, with `finish` only):
                `{"msgtype": "image", "image": {"base64": …, "md5": …}}`.
            template_card (Any | Unset): A template card below the text (`stream_with_template_card`).
     """

    content: str
    finish: bool | Unset = False
    msg_item: list[Any] | Unset = UNSET
    template_card: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        content = self.content

        finish = self.finish

        msg_item: list[Any] | Unset = UNSET
        if not isinstance(self.msg_item, Unset):
            msg_item = self.msg_item



        template_card = self.template_card


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "content": content,
        })
        if finish is not UNSET:
            field_dict["finish"] = finish
        if msg_item is not UNSET:
            field_dict["msg_item"] = msg_item
        if template_card is not UNSET:
            field_dict["template_card"] = template_card

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        content = d.pop("content")

        finish = d.pop("finish", UNSET)

        msg_item = cast(list[Any], d.pop("msg_item", UNSET))


        template_card = d.pop("template_card", UNSET)

        stream_update = cls(
            content=content,
            finish=finish,
            msg_item=msg_item,
            template_card=template_card,
        )


        stream_update.additional_properties = d
        return stream_update

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
