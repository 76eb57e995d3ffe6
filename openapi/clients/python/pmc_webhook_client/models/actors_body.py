from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.actors_body_applied_by_type import ActorsBodyAppliedByType





T = TypeVar("T", bound="ActorsBody")



@_attrs_define
class ActorsBody:
    """ The actor tree's counters.

        Example:
            {'live_message_actors': 128, 'peak_message_actors': 2048, 'activations': 9120, 'passivations': 8992, 'restarts':
                0, 'resyncs': 3, 'dead_letters': 0, 'events_applied': 41210, 'last_applied_id': 41210, 'checkpoint': 41210,
                'event_log_head': 41212, 'pending_units': 2, 'held_for_parking': 0, 'waiting_for_slot': 0, 'applied_by_type':
                {'message.text': 20105, 'status.update': 21105}}

        Attributes:
            live_message_actors (int): Message actors alive now (bounded by `tracking.max_live_actors`).
            peak_message_actors (int): The most message actors alive at once (live, parking and stopping).
            activations (int): Message actors started (first use or reactivation).
            passivations (int): Message actors passivated (idle or over the cap).
            restarts (int): Message actors restarted after a crash.
            resyncs (int): Message actors reloaded because another replica changed their
                message first (their compare-and-set write was superseded).
            dead_letters (int): Rows the tracking store refused (a value it cannot hold), skipped
                and logged as dead letters; their events stay in the event log.
            events_applied (int): Events applied since start.
            checkpoint (int): Every event at or below this id is fully stored.
            event_log_head (int): The last event committed to the event log: tracking has caught up
                when `checkpoint` equals it.
            pending_units (int): Mailbox depth of the pipeline: units of work sent to message,
                callback and writer actors and not yet stored.
            held_for_parking (int): Signals held for actors being passivated.
            waiting_for_slot (int): Message ids waiting for a free slot under the live cap.
            applied_by_type (ActorsBodyAppliedByType): Events applied per callback type.
            last_applied_id (int | Unset): Highest event id applied.
     """

    live_message_actors: int
    peak_message_actors: int
    activations: int
    passivations: int
    restarts: int
    resyncs: int
    dead_letters: int
    events_applied: int
    checkpoint: int
    event_log_head: int
    pending_units: int
    held_for_parking: int
    waiting_for_slot: int
    applied_by_type: ActorsBodyAppliedByType
    last_applied_id: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.actors_body_applied_by_type import ActorsBodyAppliedByType # noqa: PLC0415
        live_message_actors = self.live_message_actors

        peak_message_actors = self.peak_message_actors

        activations = self.activations

        passivations = self.passivations

        restarts = self.restarts

        resyncs = self.resyncs

        dead_letters = self.dead_letters

        events_applied = self.events_applied

        checkpoint = self.checkpoint

        event_log_head = self.event_log_head

        pending_units = self.pending_units

        held_for_parking = self.held_for_parking

        waiting_for_slot = self.waiting_for_slot

        applied_by_type = self.applied_by_type.to_dict()

        last_applied_id = self.last_applied_id


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "live_message_actors": live_message_actors,
            "peak_message_actors": peak_message_actors,
            "activations": activations,
            "passivations": passivations,
            "restarts": restarts,
            "resyncs": resyncs,
            "dead_letters": dead_letters,
            "events_applied": events_applied,
            "checkpoint": checkpoint,
            "event_log_head": event_log_head,
            "pending_units": pending_units,
            "held_for_parking": held_for_parking,
            "waiting_for_slot": waiting_for_slot,
            "applied_by_type": applied_by_type,
        })
        if last_applied_id is not UNSET:
            field_dict["last_applied_id"] = last_applied_id

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.actors_body_applied_by_type import ActorsBodyAppliedByType # noqa: PLC0415
        d = dict(src_dict)
        live_message_actors = d.pop("live_message_actors")

        peak_message_actors = d.pop("peak_message_actors")

        activations = d.pop("activations")

        passivations = d.pop("passivations")

        restarts = d.pop("restarts")

        resyncs = d.pop("resyncs")

        dead_letters = d.pop("dead_letters")

        events_applied = d.pop("events_applied")

        checkpoint = d.pop("checkpoint")

        event_log_head = d.pop("event_log_head")

        pending_units = d.pop("pending_units")

        held_for_parking = d.pop("held_for_parking")

        waiting_for_slot = d.pop("waiting_for_slot")

        applied_by_type = ActorsBodyAppliedByType.from_dict(d.pop("applied_by_type"))




        last_applied_id = d.pop("last_applied_id", UNSET)

        actors_body = cls(
            live_message_actors=live_message_actors,
            peak_message_actors=peak_message_actors,
            activations=activations,
            passivations=passivations,
            restarts=restarts,
            resyncs=resyncs,
            dead_letters=dead_letters,
            events_applied=events_applied,
            checkpoint=checkpoint,
            event_log_head=event_log_head,
            pending_units=pending_units,
            held_for_parking=held_for_parking,
            waiting_for_slot=waiting_for_slot,
            applied_by_type=applied_by_type,
            last_applied_id=last_applied_id,
        )


        actors_body.additional_properties = d
        return actors_body

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
