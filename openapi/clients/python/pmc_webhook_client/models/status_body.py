from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.callback_count import CallbackCount
  from ..models.channel_status import ChannelStatus
  from ..models.status_body_actors import StatusBodyActors
  from ..models.status_body_process import StatusBodyProcess
  from ..models.status_body_storage import StatusBodyStorage





T = TypeVar("T", bound="StatusBody")



@_attrs_define
class StatusBody:
    """ The service's status.

        Example:
            {'service': 'PMC通知服务', 'version': '0.1.0', 'started_at': '2026-11-28T08:00:00+00:00', 'uptime_seconds': 5412,
                'channels': [{'name': 'wechat_api', 'state': 'ready', 'detail': '1 credential set'}, {'name': 'wechat_bot',
                'state': 'unconfigured', 'detail': 'set WECHAT_BOT_TOKEN and WECHAT_BOT_ENCODING_AES_KEY'}], 'storage': {'mode':
                'embedded', 'backends': [{'name': 'event_log', 'kind': 'sqlite', 'configured': True, 'in_use': True, 'healthy':
                True, 'detail': 'data/events.db'}], 'event_log': {'events_total': 41212, 'quarantined_total': 0, 'batches':
                3120, 'requests': 41230, 'largest_batch': 64, 'last_commit_micros': 1930, 'failed_batches': 0}}, 'actors':
                {'running': True, 'events_applied': 41210, 'last_applied_id': 41210}, 'callbacks': [{'channel': 'wechat_api',
                'callback_type': 'message.text', 'outcome': 'stored', 'count': 20105}], 'process': {'rss_bytes': 61865984,
                'peak_rss_bytes': 98304000}}

        Attributes:
            service (str): Display name.
            version (str): Version.
            started_at (datetime.datetime): When it started.
            uptime_seconds (int): Seconds since start.
            channels (list[ChannelStatus]): The callback channels.
            storage (StatusBodyStorage): Storage in use.
            actors (StatusBodyActors): What the actor supervisor has applied.
            callbacks (list[CallbackCount]): Callbacks answered by this replica, by channel, type and outcome.
            process (StatusBodyProcess): This process.
            callbacks_all_replicas (list[CallbackCount] | Unset): Callbacks answered by every replica of this deployment
                (sharing its
                database), added up in Redis once a second; absent without Redis.
     """

    service: str
    version: str
    started_at: datetime.datetime
    uptime_seconds: int
    channels: list[ChannelStatus]
    storage: StatusBodyStorage
    actors: StatusBodyActors
    callbacks: list[CallbackCount]
    process: StatusBodyProcess
    callbacks_all_replicas: list[CallbackCount] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.callback_count import CallbackCount # noqa: PLC0415
        from ..models.channel_status import ChannelStatus # noqa: PLC0415
        from ..models.status_body_actors import StatusBodyActors # noqa: PLC0415
        from ..models.status_body_process import StatusBodyProcess # noqa: PLC0415
        from ..models.status_body_storage import StatusBodyStorage # noqa: PLC0415
        service = self.service

        version = self.version

        started_at = self.started_at.isoformat()

        uptime_seconds = self.uptime_seconds

        channels = []
        for channels_item_data in self.channels:
            channels_item = channels_item_data.to_dict()
            channels.append(channels_item)



        storage = self.storage.to_dict()

        actors = self.actors.to_dict()

        callbacks = []
        for callbacks_item_data in self.callbacks:
            callbacks_item = callbacks_item_data.to_dict()
            callbacks.append(callbacks_item)



        process = self.process.to_dict()

        callbacks_all_replicas: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.callbacks_all_replicas, Unset):
            callbacks_all_replicas = []
            for callbacks_all_replicas_item_data in self.callbacks_all_replicas:
                callbacks_all_replicas_item = callbacks_all_replicas_item_data.to_dict()
                callbacks_all_replicas.append(callbacks_all_replicas_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "service": service,
            "version": version,
            "started_at": started_at,
            "uptime_seconds": uptime_seconds,
            "channels": channels,
            "storage": storage,
            "actors": actors,
            "callbacks": callbacks,
            "process": process,
        })
        if callbacks_all_replicas is not UNSET:
            field_dict["callbacks_all_replicas"] = callbacks_all_replicas

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.callback_count import CallbackCount # noqa: PLC0415
        from ..models.channel_status import ChannelStatus # noqa: PLC0415
        from ..models.status_body_actors import StatusBodyActors # noqa: PLC0415
        from ..models.status_body_process import StatusBodyProcess # noqa: PLC0415
        from ..models.status_body_storage import StatusBodyStorage # noqa: PLC0415
        d = dict(src_dict)
        service = d.pop("service")

        version = d.pop("version")

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))




        uptime_seconds = d.pop("uptime_seconds")

        channels = []
        _channels = d.pop("channels")
        for channels_item_data in (_channels):
            channels_item = ChannelStatus.from_dict(channels_item_data)



            channels.append(channels_item)


        storage = StatusBodyStorage.from_dict(d.pop("storage"))




        actors = StatusBodyActors.from_dict(d.pop("actors"))




        callbacks = []
        _callbacks = d.pop("callbacks")
        for callbacks_item_data in (_callbacks):
            callbacks_item = CallbackCount.from_dict(callbacks_item_data)



            callbacks.append(callbacks_item)


        process = StatusBodyProcess.from_dict(d.pop("process"))




        _callbacks_all_replicas = d.pop("callbacks_all_replicas", UNSET)
        callbacks_all_replicas: list[CallbackCount] | Unset = UNSET
        if _callbacks_all_replicas is not UNSET:
            callbacks_all_replicas = []
            for callbacks_all_replicas_item_data in _callbacks_all_replicas:
                callbacks_all_replicas_item = CallbackCount.from_dict(callbacks_all_replicas_item_data)



                callbacks_all_replicas.append(callbacks_all_replicas_item)


        status_body = cls(
            service=service,
            version=version,
            started_at=started_at,
            uptime_seconds=uptime_seconds,
            channels=channels,
            storage=storage,
            actors=actors,
            callbacks=callbacks,
            process=process,
            callbacks_all_replicas=callbacks_all_replicas,
        )


        status_body.additional_properties = d
        return status_body

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
