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
  from ..models.stream_body_late_reply import StreamBodyLateReply





T = TypeVar("T", bound="StreamBody")



@_attrs_define
class StreamBody:
    """ A stream as it stands.

        Attributes:
            id (str): The stream id.
            account (str): The robot account.
            message_id (str): The user's message it answers (`msgid`).
            chat_type (str): `single` or `group`.
            user_id (str): Who asked.
            content (str): The text so far.
            finish (bool): Finished.
            forced (bool): Finished by the deadline (`robot.stream_deadline_secs`), with
                `robot.stream_fallback_text`.
            feedback_id (str): The feedback id its answers carry (`feedback_event`s name it).
            keepalives (int): Keepalive updates made.
            opened_at (datetime.datetime): Opened (the user's message).
            updated_at (datetime.datetime): Last written (or kept alive).
            deadline (datetime.datetime): Force-finished if still open then.
            chat_id (str | Unset): The group, for group chats.
            late_reply (StreamBodyLateReply | Unset): Set when this write came after the force-finish and finished the
                answer: the reply that carries it through the callback's
                `response_url` (earlier late writes are acknowledged, not sent).
     """

    id: str
    account: str
    message_id: str
    chat_type: str
    user_id: str
    content: str
    finish: bool
    forced: bool
    feedback_id: str
    keepalives: int
    opened_at: datetime.datetime
    updated_at: datetime.datetime
    deadline: datetime.datetime
    chat_id: str | Unset = UNSET
    late_reply: StreamBodyLateReply | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.stream_body_late_reply import StreamBodyLateReply # noqa: PLC0415
        id = self.id

        account = self.account

        message_id = self.message_id

        chat_type = self.chat_type

        user_id = self.user_id

        content = self.content

        finish = self.finish

        forced = self.forced

        feedback_id = self.feedback_id

        keepalives = self.keepalives

        opened_at = self.opened_at.isoformat()

        updated_at = self.updated_at.isoformat()

        deadline = self.deadline.isoformat()

        chat_id = self.chat_id

        late_reply: dict[str, Any] | Unset = UNSET
        if not isinstance(self.late_reply, Unset):
            late_reply = self.late_reply.to_dict()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "id": id,
            "account": account,
            "message_id": message_id,
            "chat_type": chat_type,
            "user_id": user_id,
            "content": content,
            "finish": finish,
            "forced": forced,
            "feedback_id": feedback_id,
            "keepalives": keepalives,
            "opened_at": opened_at,
            "updated_at": updated_at,
            "deadline": deadline,
        })
        if chat_id is not UNSET:
            field_dict["chat_id"] = chat_id
        if late_reply is not UNSET:
            field_dict["late_reply"] = late_reply

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.stream_body_late_reply import StreamBodyLateReply # noqa: PLC0415
        d = dict(src_dict)
        id = d.pop("id")

        account = d.pop("account")

        message_id = d.pop("message_id")

        chat_type = d.pop("chat_type")

        user_id = d.pop("user_id")

        content = d.pop("content")

        finish = d.pop("finish")

        forced = d.pop("forced")

        feedback_id = d.pop("feedback_id")

        keepalives = d.pop("keepalives")

        opened_at = datetime.datetime.fromisoformat(d.pop("opened_at"))




        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))




        deadline = datetime.datetime.fromisoformat(d.pop("deadline"))




        chat_id = d.pop("chat_id", UNSET)

        _late_reply = d.pop("late_reply", UNSET)
        late_reply: StreamBodyLateReply | Unset
        if isinstance(_late_reply,  Unset):
            late_reply = UNSET
        else:
            late_reply = StreamBodyLateReply.from_dict(_late_reply)




        stream_body = cls(
            id=id,
            account=account,
            message_id=message_id,
            chat_type=chat_type,
            user_id=user_id,
            content=content,
            finish=finish,
            forced=forced,
            feedback_id=feedback_id,
            keepalives=keepalives,
            opened_at=opened_at,
            updated_at=updated_at,
            deadline=deadline,
            chat_id=chat_id,
            late_reply=late_reply,
        )


        stream_body.additional_properties = d
        return stream_body

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
