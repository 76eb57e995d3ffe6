from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="RegisterMessage")



@_attrs_define
class RegisterMessage:
    """ A message to register (channel `external`: you sent it) or to send
    (`wecom_app`, `wecom_bot`, `wecom_aibot`, `wecom_external`: this service sends it). A send mirrors WeCom's
    own body: `msgtype` and the object named after it, e.g.
    `{"channel": "wecom_app", "recipients": ["zhangsan"], "msgtype": "text",
    "text": {"content": "你好"}}`.

        Example:
            {'id': 'order-20261128-0001', 'channel': 'wecom_app', 'account': 'default', 'recipients': ['zhangsan', 'lisi'],
                'parties': [], 'tags': [], 'msgtype': 'text', 'text': {'content': '订单 0001 已发货'}, 'safe': False,
                'enable_duplicate_check': True}

        Attributes:
            id (str | Unset): Your id for it (1–128 of `[A-Za-z0-9_.:@-]`); generated when absent
                (from the `Idempotency-Key` when there is one).
            channel (str | Unset): `external`: sent by you, outside this service. `wecom_app`: send
                through the app (`message/send`). `wecom_bot`: send through the group
                robot (`webhook/send`). `wecom_aibot`: a smart robot's proactive
                message on its long connection. `wecom_external`: a mass send to
                customers through the app (`add_msg_template`; `recipients` are
                external_userids, `msgtype` text), each customer `sent` or `failed`
                once their member sends it (`get_groupmsg_send_result`). `wecom_kf`:
                微信客服 (`kf/send_msg`) to one customer (`recipients`: their
                external_userid) of `open_kfid`, or a session's welcome
                (`welcome_code`); the id is WeCom's kf msgid (1–32 of
                `[A-Za-z0-9_-]`), so its `msg_send_fail` fails it. Default: 'external'.
            account (str | Unset): The account to send through (`GET /api/v1/accounts`): an app or
                suite for `wecom_app` and `wecom_external`, a robot for `wecom_bot`; for `external`, the
                account the message belongs to. Default `default`.
            corp_id (str | Unset): Sending through a suite: the authorised corp to send to, on its
                behalf (its corp id, case-sensitive).
            recipients (list[str] | Unset): Recipient user ids (`["@all"]`: everyone in the app's range); for an
                external message, empty to track it as a whole; for `wecom_external`,
                the customers' external_userids. Not for robots.
            parties (list[str] | Unset): Department ids to send to (`wecom_app`).
            tags (list[str] | Unset): Tag ids to send to (`wecom_app`).
            chatid (str | Unset): An app group chat to send to (`wecom_app`, `appchat/send`), instead
                of recipients, parties and tags; tracked as one recipient, the chat.
                Takes `text`, `image`, `voice`, `video`, `file`, `textcard`, `news`,
                `mpnews`, `markdown`.
            open_kfid (str | Unset): `wecom_kf`: the customer-service account (`open_kfid`) sending to
                the customer in `recipients`.
            welcome_code (str | Unset): `wecom_kf`: the `welcome_code` of an `enter_session` event: the
                message is that session's welcome (`kf/send_msg_on_event`, within
                20 s of the event; without `id`, its id comes from the code, so it
                is sent once).
            msgtype (str | Unset): What to send: `text`, `markdown`, `textcard`, `news`, `template_card`,
                `image`, `voice`, `video`, `file`, `mpnews`, `miniprogram_notice`
                (app); `text`, `markdown`, `markdown_v2`, `news`, `image`, `file`,
                `voice`, `template_card` (robot).
            text (Any | Unset): `{"content": …}`; robots also take `mentioned_list`, `mentioned_mobile_list`.
            markdown (Any | Unset): `{"content": …}`.
            markdown_v2 (Any | Unset): `{"content": …}` (robot).
            textcard (Any | Unset): `{"title", "description", "url", "btntxt"}` (app).
            news (Any | Unset): `{"articles": [{"title", "description", "url", "picurl"}]}`, 1 to 8.
            template_card (Any | Unset): WeCom's card: `card_type` and its fields; interactive cards need a
                `task_id`, by which clicks find the message.
            image (Any | Unset): App: `{"media_id"}`, or `{"filename", "base64"}` of a JPG or PNG
                (≤ 10 MB) to have this service upload it (`media/upload`). Robot:
                `{"base64", "md5"}`.
            file (Any | Unset): `{"media_id"}` (app: from `media/upload`; robot: from
                `webhook/upload_media`), or `{"filename", "base64"}` to have this
                service upload it (≤ 20 MB).
            voice (Any | Unset): `{"media_id"}`, or `{"filename", "base64"}` of an AMR (≤ 2 MB, 60 s).
            video (Any | Unset): `{"media_id", "title", "description"}`, or `{"filename", "base64",
                "title", "description"}` of an MP4 (≤ 10 MB) to upload (app).
            mpnews (Any | Unset): `{"articles": [{"title", "thumb_media_id", "author",
                "content_source_url", "content", "digest"}]}`, 1 to 8 (app); an
                article may give `thumb_filename` and `thumb_base64` (a JPG or PNG)
                instead of `thumb_media_id`, uploaded first.
            miniprogram_notice (Any | Unset): `{"appid", "page", "title", "description", "emphasis_first_item",
                "content_item": [{"key", "value"}]}` (app, a mini program bound to it;
                at most 10 items).
            safe (bool | Unset): Confidential message (app). Default: False.
            enable_duplicate_check (bool | Unset): Let WeCom drop an identical message sent within the interval (app).
                Default: False.
            duplicate_check_interval (int | Unset): Seconds, 1 to 14400 (WeCom's default 1800).
            wecom_msgid (str | Unset): WeCom's `msgid`, if you sent it through WeCom.
            task_id (str | Unset): The template card's `task_id`: card clicks then count as `read`.
            status (str | Unset): The status to start from (default `sent`).
     """

    id: str | Unset = UNSET
    channel: str | Unset = 'external'
    account: str | Unset = UNSET
    corp_id: str | Unset = UNSET
    recipients: list[str] | Unset = UNSET
    parties: list[str] | Unset = UNSET
    tags: list[str] | Unset = UNSET
    chatid: str | Unset = UNSET
    open_kfid: str | Unset = UNSET
    welcome_code: str | Unset = UNSET
    msgtype: str | Unset = UNSET
    text: Any | Unset = UNSET
    markdown: Any | Unset = UNSET
    markdown_v2: Any | Unset = UNSET
    textcard: Any | Unset = UNSET
    news: Any | Unset = UNSET
    template_card: Any | Unset = UNSET
    image: Any | Unset = UNSET
    file: Any | Unset = UNSET
    voice: Any | Unset = UNSET
    video: Any | Unset = UNSET
    mpnews: Any | Unset = UNSET
    miniprogram_notice: Any | Unset = UNSET
    safe: bool | Unset = False
    enable_duplicate_check: bool | Unset = False
    duplicate_check_interval: int | Unset = UNSET
    wecom_msgid: str | Unset = UNSET
    task_id: str | Unset = UNSET
    status: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        id = self.id

        channel = self.channel

        account = self.account

        corp_id = self.corp_id

        recipients: list[str] | Unset = UNSET
        if not isinstance(self.recipients, Unset):
            recipients = self.recipients



        parties: list[str] | Unset = UNSET
        if not isinstance(self.parties, Unset):
            parties = self.parties



        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags



        chatid = self.chatid

        open_kfid = self.open_kfid

        welcome_code = self.welcome_code

        msgtype = self.msgtype

        text = self.text

        markdown = self.markdown

        markdown_v2 = self.markdown_v2

        textcard = self.textcard

        news = self.news

        template_card = self.template_card

        image = self.image

        file = self.file

        voice = self.voice

        video = self.video

        mpnews = self.mpnews

        miniprogram_notice = self.miniprogram_notice

        safe = self.safe

        enable_duplicate_check = self.enable_duplicate_check

        duplicate_check_interval = self.duplicate_check_interval

        wecom_msgid = self.wecom_msgid

        task_id = self.task_id

        status = self.status


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
        })
        if id is not UNSET:
            field_dict["id"] = id
        if channel is not UNSET:
            field_dict["channel"] = channel
        if account is not UNSET:
            field_dict["account"] = account
        if corp_id is not UNSET:
            field_dict["corp_id"] = corp_id
        if recipients is not UNSET:
            field_dict["recipients"] = recipients
        if parties is not UNSET:
            field_dict["parties"] = parties
        if tags is not UNSET:
            field_dict["tags"] = tags
        if chatid is not UNSET:
            field_dict["chatid"] = chatid
        if open_kfid is not UNSET:
            field_dict["open_kfid"] = open_kfid
        if welcome_code is not UNSET:
            field_dict["welcome_code"] = welcome_code
        if msgtype is not UNSET:
            field_dict["msgtype"] = msgtype
        if text is not UNSET:
            field_dict["text"] = text
        if markdown is not UNSET:
            field_dict["markdown"] = markdown
        if markdown_v2 is not UNSET:
            field_dict["markdown_v2"] = markdown_v2
        if textcard is not UNSET:
            field_dict["textcard"] = textcard
        if news is not UNSET:
            field_dict["news"] = news
        if template_card is not UNSET:
            field_dict["template_card"] = template_card
        if image is not UNSET:
            field_dict["image"] = image
        if file is not UNSET:
            field_dict["file"] = file
        if voice is not UNSET:
            field_dict["voice"] = voice
        if video is not UNSET:
            field_dict["video"] = video
        if mpnews is not UNSET:
            field_dict["mpnews"] = mpnews
        if miniprogram_notice is not UNSET:
            field_dict["miniprogram_notice"] = miniprogram_notice
        if safe is not UNSET:
            field_dict["safe"] = safe
        if enable_duplicate_check is not UNSET:
            field_dict["enable_duplicate_check"] = enable_duplicate_check
        if duplicate_check_interval is not UNSET:
            field_dict["duplicate_check_interval"] = duplicate_check_interval
        if wecom_msgid is not UNSET:
            field_dict["wecom_msgid"] = wecom_msgid
        if task_id is not UNSET:
            field_dict["task_id"] = task_id
        if status is not UNSET:
            field_dict["status"] = status

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id", UNSET)

        channel = d.pop("channel", UNSET)

        account = d.pop("account", UNSET)

        corp_id = d.pop("corp_id", UNSET)

        recipients = cast(list[str], d.pop("recipients", UNSET))


        parties = cast(list[str], d.pop("parties", UNSET))


        tags = cast(list[str], d.pop("tags", UNSET))


        chatid = d.pop("chatid", UNSET)

        open_kfid = d.pop("open_kfid", UNSET)

        welcome_code = d.pop("welcome_code", UNSET)

        msgtype = d.pop("msgtype", UNSET)

        text = d.pop("text", UNSET)

        markdown = d.pop("markdown", UNSET)

        markdown_v2 = d.pop("markdown_v2", UNSET)

        textcard = d.pop("textcard", UNSET)

        news = d.pop("news", UNSET)

        template_card = d.pop("template_card", UNSET)

        image = d.pop("image", UNSET)

        file = d.pop("file", UNSET)

        voice = d.pop("voice", UNSET)

        video = d.pop("video", UNSET)

        mpnews = d.pop("mpnews", UNSET)

        miniprogram_notice = d.pop("miniprogram_notice", UNSET)

        safe = d.pop("safe", UNSET)

        enable_duplicate_check = d.pop("enable_duplicate_check", UNSET)

        duplicate_check_interval = d.pop("duplicate_check_interval", UNSET)

        wecom_msgid = d.pop("wecom_msgid", UNSET)

        task_id = d.pop("task_id", UNSET)

        status = d.pop("status", UNSET)

        register_message = cls(
            id=id,
            channel=channel,
            account=account,
            corp_id=corp_id,
            recipients=recipients,
            parties=parties,
            tags=tags,
            chatid=chatid,
            open_kfid=open_kfid,
            welcome_code=welcome_code,
            msgtype=msgtype,
            text=text,
            markdown=markdown,
            markdown_v2=markdown_v2,
            textcard=textcard,
            news=news,
            template_card=template_card,
            image=image,
            file=file,
            voice=voice,
            video=video,
            mpnews=mpnews,
            miniprogram_notice=miniprogram_notice,
            safe=safe,
            enable_duplicate_check=enable_duplicate_check,
            duplicate_check_interval=duplicate_check_interval,
            wecom_msgid=wecom_msgid,
            task_id=task_id,
            status=status,
        )


        register_message.additional_properties = d
        return register_message

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
