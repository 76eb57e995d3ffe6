from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.error_body import ErrorBody
from ...models.reply_body import ReplyBody
from ...models.robot_reply_request import RobotReplyRequest
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    body: RobotReplyRequest,
    idempotency_key: str | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key



    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/robot/replies",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json; charset=utf-8"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorBody | ReplyBody | None:
    if response.status_code == 202:
        response_202 = ReplyBody.from_dict(response.json())



        return response_202

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())



        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())



        return response_403

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())



        return response_404

    if response.status_code == 409:
        response_409 = ErrorBody.from_dict(response.json())



        return response_409

    if response.status_code == 410:
        response_410 = ErrorBody.from_dict(response.json())



        return response_410

    if response.status_code == 422:
        response_422 = ErrorBody.from_dict(response.json())



        return response_422

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ErrorBody | ReplyBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: RobotReplyRequest,
    idempotency_key: str | Unset = UNSET,

) -> Response[ErrorBody | ReplyBody]:
    """ Reply through response_url

     Answers a robot callback once through its `response_url` (valid for
    1 hour, single use): `markdown`, or `template_card` in single chats.
    Tracked as a message (`sent`, or `failed` with WeCom's errcode); the
    reply carries a feedback id, and `feedback_event`s on it are
    interactions of that message.

    Args:
        idempotency_key (str | Unset):
        body (RobotReplyRequest): An answer through a callback's `response_url`. Example: {'id':
            'reply-20261128-0001', 'account': 'default', 'message_id':
            'CAIQ16HMjQYY\\\\/NGagIOAgAMgq4KM0AI=', 'msgtype': 'markdown', 'markdown': {'content':
            '已为你提交工单 **#4521**。'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ReplyBody]
     """


    kwargs = _get_kwargs(
        body=body,
idempotency_key=idempotency_key,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient,
    body: RobotReplyRequest,
    idempotency_key: str | Unset = UNSET,

) -> ErrorBody | ReplyBody | None:
    """ Reply through response_url

     Answers a robot callback once through its `response_url` (valid for
    1 hour, single use): `markdown`, or `template_card` in single chats.
    Tracked as a message (`sent`, or `failed` with WeCom's errcode); the
    reply carries a feedback id, and `feedback_event`s on it are
    interactions of that message.

    Args:
        idempotency_key (str | Unset):
        body (RobotReplyRequest): An answer through a callback's `response_url`. Example: {'id':
            'reply-20261128-0001', 'account': 'default', 'message_id':
            'CAIQ16HMjQYY\\\\/NGagIOAgAMgq4KM0AI=', 'msgtype': 'markdown', 'markdown': {'content':
            '已为你提交工单 **#4521**。'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ReplyBody
     """


    return sync_detailed(
        client=client,
body=body,
idempotency_key=idempotency_key,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: RobotReplyRequest,
    idempotency_key: str | Unset = UNSET,

) -> Response[ErrorBody | ReplyBody]:
    """ Reply through response_url

     Answers a robot callback once through its `response_url` (valid for
    1 hour, single use): `markdown`, or `template_card` in single chats.
    Tracked as a message (`sent`, or `failed` with WeCom's errcode); the
    reply carries a feedback id, and `feedback_event`s on it are
    interactions of that message.

    Args:
        idempotency_key (str | Unset):
        body (RobotReplyRequest): An answer through a callback's `response_url`. Example: {'id':
            'reply-20261128-0001', 'account': 'default', 'message_id':
            'CAIQ16HMjQYY\\\\/NGagIOAgAMgq4KM0AI=', 'msgtype': 'markdown', 'markdown': {'content':
            '已为你提交工单 **#4521**。'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ReplyBody]
     """


    kwargs = _get_kwargs(
        body=body,
idempotency_key=idempotency_key,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient,
    body: RobotReplyRequest,
    idempotency_key: str | Unset = UNSET,

) -> ErrorBody | ReplyBody | None:
    """ Reply through response_url

     Answers a robot callback once through its `response_url` (valid for
    1 hour, single use): `markdown`, or `template_card` in single chats.
    Tracked as a message (`sent`, or `failed` with WeCom's errcode); the
    reply carries a feedback id, and `feedback_event`s on it are
    interactions of that message.

    Args:
        idempotency_key (str | Unset):
        body (RobotReplyRequest): An answer through a callback's `response_url`. Example: {'id':
            'reply-20261128-0001', 'account': 'default', 'message_id':
            'CAIQ16HMjQYY\\\\/NGagIOAgAMgq4KM0AI=', 'msgtype': 'markdown', 'markdown': {'content':
            '已为你提交工单 **#4521**。'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ReplyBody
     """


    return (await asyncio_detailed(
        client=client,
body=body,
idempotency_key=idempotency_key,

    )).parsed
