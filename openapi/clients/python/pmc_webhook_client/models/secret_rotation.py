from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset






T = TypeVar("T", bound="SecretRotation")



@_attrs_define
class SecretRotation:
    """ A secret rotation.

        Example:
            {'overlap_secs': 86400}

        Attributes:
            secret (str | Unset): The new secret (`whsec_…`); generated when absent.
            overlap_secs (int | Unset): How long deliveries keep carrying the old secret's signature too, so
                receivers can switch without losing one: 0 to 604800 s (default 86400).
     """

    secret: str | Unset = UNSET
    overlap_secs: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        secret = self.secret

        overlap_secs = self.overlap_secs


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
        })
        if secret is not UNSET:
            field_dict["secret"] = secret
        if overlap_secs is not UNSET:
            field_dict["overlap_secs"] = overlap_secs

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        secret = d.pop("secret", UNSET)

        overlap_secs = d.pop("overlap_secs", UNSET)

        secret_rotation = cls(
            secret=secret,
            overlap_secs=overlap_secs,
        )


        secret_rotation.additional_properties = d
        return secret_rotation

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
