from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="HandlerBody")



@_attrs_define
class HandlerBody:
    """ A webhook source or user handler.

        Example:
            {'name': 'wechat_api', 'kind': 'webhook', 'account': 'hr', 'listens_to': ['app messages (app account hr)', 'app
                events (app account hr)'], 'routes': ['GET /api/v1/webhooks/wechat/api/hr', 'POST
                /api/v1/webhooks/wechat/api/hr'], 'invocations': 41210, 'failures': 0}

        Attributes:
            name (str): Its name.
            kind (str): `webhook` (a source mounted under /api/v1/webhooks), `status` or `interaction` (user handlers).
            listens_to (list[str]): What it listens to.
            routes (list[str]): Its routes (webhook sources).
            invocations (int): Calls (for a WeCom route: requests of the accounts it serves, so the
                seed's fixed route and `…/default` count the default account's together).
            failures (int): Calls that failed (refused requests for sources; errors, panics and timeouts for handlers).
            account (str | Unset): The account a WeCom route serves: its own for
                `…/wechat/{api,bot}/{account}`, `default` for the seed's fixed routes
                (whose `listens_to` names every account they serve, such as the
                default suite); absent for other sources and for handlers.
            last_error (str | Unset): The last failure, when known.
     """

    name: str
    kind: str
    listens_to: list[str]
    routes: list[str]
    invocations: int
    failures: int
    account: str | Unset = UNSET
    last_error: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        name = self.name

        kind = self.kind

        listens_to = self.listens_to



        routes = self.routes



        invocations = self.invocations

        failures = self.failures

        account = self.account

        last_error = self.last_error


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "name": name,
            "kind": kind,
            "listens_to": listens_to,
            "routes": routes,
            "invocations": invocations,
            "failures": failures,
        })
        if account is not UNSET:
            field_dict["account"] = account
        if last_error is not UNSET:
            field_dict["last_error"] = last_error

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        kind = d.pop("kind")

        listens_to = cast(list[str], d.pop("listens_to"))


        routes = cast(list[str], d.pop("routes"))


        invocations = d.pop("invocations")

        failures = d.pop("failures")

        account = d.pop("account", UNSET)

        last_error = d.pop("last_error", UNSET)

        handler_body = cls(
            name=name,
            kind=kind,
            listens_to=listens_to,
            routes=routes,
            invocations=invocations,
            failures=failures,
            account=account,
            last_error=last_error,
        )


        handler_body.additional_properties = d
        return handler_body

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
