from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset






T = TypeVar("T", bound="ProcessStatus")



@_attrs_define
class ProcessStatus:
    """ Memory of this process (Linux; absent elsewhere).

        Attributes:
            rss_bytes (int | Unset): Resident set size now, bytes.
            peak_rss_bytes (int | Unset): Peak resident set size, bytes.
     """

    rss_bytes: int | Unset = UNSET
    peak_rss_bytes: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        rss_bytes = self.rss_bytes

        peak_rss_bytes = self.peak_rss_bytes


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
        })
        if rss_bytes is not UNSET:
            field_dict["rss_bytes"] = rss_bytes
        if peak_rss_bytes is not UNSET:
            field_dict["peak_rss_bytes"] = peak_rss_bytes

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        rss_bytes = d.pop("rss_bytes", UNSET)

        peak_rss_bytes = d.pop("peak_rss_bytes", UNSET)

        process_status = cls(
            rss_bytes=rss_bytes,
            peak_rss_bytes=peak_rss_bytes,
        )


        process_status.additional_properties = d
        return process_status

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
