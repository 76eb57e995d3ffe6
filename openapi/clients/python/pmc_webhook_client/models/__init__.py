""" Contains all the data models used in inputs/outputs """

from .accepted import Accepted
from .account_body import AccountBody
from .account_body_connection import AccountBodyConnection
from .accounts_body import AccountsBody
from .actor_status import ActorStatus
from .actors_body import ActorsBody
from .actors_body_applied_by_type import ActorsBodyAppliedByType
from .backend_health import BackendHealth
from .backend_status import BackendStatus
from .callback_count import CallbackCount
from .card_update import CardUpdate
from .channel_status import ChannelStatus
from .connection_body import ConnectionBody
from .delivery_body import DeliveryBody
from .delivery_page import DeliveryPage
from .error_body import ErrorBody
from .event_detail import EventDetail
from .event_log_status import EventLogStatus
from .event_page_body import EventPageBody
from .event_source import EventSource
from .event_summary import EventSummary
from .handler_body import HandlerBody
from .health_body import HealthBody
from .history_body import HistoryBody
from .history_entry import HistoryEntry
from .interaction_body import InteractionBody
from .interaction_page import InteractionPage
from .member_event_body import MemberEventBody
from .member_event_page import MemberEventPage
from .message_body import MessageBody
from .message_body_counts import MessageBodyCounts
from .message_page import MessagePage
from .message_status_body import MessageStatusBody
from .message_status_body_counts import MessageStatusBodyCounts
from .new_subscription import NewSubscription
from .process_status import ProcessStatus
from .recipient_body import RecipientBody
from .register_message import RegisterMessage
from .replay_body import ReplayBody
from .replay_request import ReplayRequest
from .reply_body import ReplyBody
from .robot_reply_request import RobotReplyRequest
from .secret_rotation import SecretRotation
from .status_body import StatusBody
from .status_body_actors import StatusBodyActors
from .status_body_process import StatusBodyProcess
from .status_body_storage import StatusBodyStorage
from .storage_status import StorageStatus
from .storage_status_event_log import StorageStatusEventLog
from .stream_body import StreamBody
from .stream_body_late_reply import StreamBodyLateReply
from .stream_update import StreamUpdate
from .subscription_body import SubscriptionBody
from .subscription_list import SubscriptionList
from .we_com_answer_body import WeComAnswerBody

__all__ = (
    "Accepted",
    "AccountBody",
    "AccountBodyConnection",
    "AccountsBody",
    "ActorsBody",
    "ActorsBodyAppliedByType",
    "ActorStatus",
    "BackendHealth",
    "BackendStatus",
    "CallbackCount",
    "CardUpdate",
    "ChannelStatus",
    "ConnectionBody",
    "DeliveryBody",
    "DeliveryPage",
    "ErrorBody",
    "EventDetail",
    "EventLogStatus",
    "EventPageBody",
    "EventSource",
    "EventSummary",
    "HandlerBody",
    "HealthBody",
    "HistoryBody",
    "HistoryEntry",
    "InteractionBody",
    "InteractionPage",
    "MemberEventBody",
    "MemberEventPage",
    "MessageBody",
    "MessageBodyCounts",
    "MessagePage",
    "MessageStatusBody",
    "MessageStatusBodyCounts",
    "NewSubscription",
    "ProcessStatus",
    "RecipientBody",
    "RegisterMessage",
    "ReplayBody",
    "ReplayRequest",
    "ReplyBody",
    "RobotReplyRequest",
    "SecretRotation",
    "StatusBody",
    "StatusBodyActors",
    "StatusBodyProcess",
    "StatusBodyStorage",
    "StorageStatus",
    "StorageStatusEventLog",
    "StreamBody",
    "StreamBodyLateReply",
    "StreamUpdate",
    "SubscriptionBody",
    "SubscriptionList",
    "WeComAnswerBody",
)
