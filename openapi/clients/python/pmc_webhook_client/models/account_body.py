from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.account_body_connection import AccountBodyConnection





T = TypeVar("T", bound="AccountBody")



@_attrs_define
class AccountBody:
    """ One account.

        Attributes:
            id (str): Its id (route segment, metrics label, `account` of its data).
            kind (str): `app`, `suite` or `robot`.
            seed (bool): Defined by the seed's `channels:` settings (`WECHAT_*` variables).
            enabled (bool): Served; a disabled account's routes answer 503, its data stays.
            routes (list[str]): Its callback routes (the seed's accounts also answer on the fixed routes).
            callbacks (str): `ready`, `disabled` or `unconfigured` (callbacks).
            can_send (bool): Whether it can send (`POST /api/v1/messages` with this `account`).
            credentials_set (list[str]): Which credentials are set, by name (`token`, `encoding_aes_key`,
                `secret`, `suite_secret`, `webhook_url`, …); never their values.
            callbacks_detail (str | Unset): What is missing, when unconfigured.
            send_detail (str | Unset): What is missing to send.
            corp_id (str | Unset): Apps: the corp id (an identifier, not a secret).
            agent_id (int | Unset): Apps: the agent id.
            suite_id (str | Unset): Suites: the suite id.
            authorised_corps (list[str] | Unset): Suites: the corps that have authorised it.
            bot_id (str | Unset): Robots: the smart robot's id, when configured.
            connection (AccountBodyConnection | Unset): Robots in `websocket` mode: their long connection.
     """

    id: str
    kind: str
    seed: bool
    enabled: bool
    routes: list[str]
    callbacks: str
    can_send: bool
    credentials_set: list[str]
    callbacks_detail: str | Unset = UNSET
    send_detail: str | Unset = UNSET
    corp_id: str | Unset = UNSET
    agent_id: int | Unset = UNSET
    suite_id: str | Unset = UNSET
    authorised_corps: list[str] | Unset = UNSET
    bot_id: str | Unset = UNSET
    connection: AccountBodyConnection | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.account_body_connection import AccountBodyConnection # noqa: PLC0415
        id = self.id

        kind = self.kind

        seed = self.seed

        enabled = self.enabled

        routes = self.routes



        callbacks = self.callbacks

        can_send = self.can_send

        credentials_set = self.credentials_set



        callbacks_detail = self.callbacks_detail

        send_detail = self.send_detail

        corp_id = self.corp_id

        agent_id = self.agent_id

        suite_id = self.suite_id

        authorised_corps: list[str] | Unset = UNSET
        if not isinstance(self.authorised_corps, Unset):
            authorised_corps = self.authorised_corps



        bot_id = self.bot_id

        connection: dict[str, Any] | Unset = UNSET
        if not isinstance(self.connection, Unset):
            connection = self.connection.to_dict()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "id": id,
            "kind": kind,
            "seed": seed,
            "enabled": enabled,
            "routes": routes,
            "callbacks": callbacks,
            "can_send": can_send,
            "credentials_set": credentials_set,
        })
        if callbacks_detail is not UNSET:
            field_dict["callbacks_detail"] = callbacks_detail
        if send_detail is not UNSET:
            field_dict["send_detail"] = send_detail
        if corp_id is not UNSET:
            field_dict["corp_id"] = corp_id
        if agent_id is not UNSET:
            field_dict["agent_id"] = agent_id
        if suite_id is not UNSET:
            field_dict["suite_id"] = suite_id
        if authorised_corps is not UNSET:
            field_dict["authorised_corps"] = authorised_corps
        if bot_id is not UNSET:
            field_dict["bot_id"] = bot_id
        if connection is not UNSET:
            field_dict["connection"] = connection

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.account_body_connection import AccountBodyConnection # noqa: PLC0415
        d = dict(src_dict)
        id = d.pop("id")

        kind = d.pop("kind")

        seed = d.pop("seed")

        enabled = d.pop("enabled")

        routes = cast(list[str], d.pop("routes"))


        callbacks = d.pop("callbacks")

        can_send = d.pop("can_send")

        credentials_set = cast(list[str], d.pop("credentials_set"))


        callbacks_detail = d.pop("callbacks_detail", UNSET)

        send_detail = d.pop("send_detail", UNSET)

        corp_id = d.pop("corp_id", UNSET)

        agent_id = d.pop("agent_id", UNSET)

        suite_id = d.pop("suite_id", UNSET)

        authorised_corps = cast(list[str], d.pop("authorised_corps", UNSET))


        bot_id = d.pop("bot_id", UNSET)

        _connection = d.pop("connection", UNSET)
        connection: AccountBodyConnection | Unset
        if isinstance(_connection,  Unset):
            connection = UNSET
        else:
            connection = AccountBodyConnection.from_dict(_connection)




        account_body = cls(
            id=id,
            kind=kind,
            seed=seed,
            enabled=enabled,
            routes=routes,
            callbacks=callbacks,
            can_send=can_send,
            credentials_set=credentials_set,
            callbacks_detail=callbacks_detail,
            send_detail=send_detail,
            corp_id=corp_id,
            agent_id=agent_id,
            suite_id=suite_id,
            authorised_corps=authorised_corps,
            bot_id=bot_id,
            connection=connection,
        )


        account_body.additional_properties = d
        return account_body

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
