from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.error_body import ErrorBody
from ...models.message_body import MessageBody
from ...models.register_message import RegisterMessage
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    body: RegisterMessage,
    idempotency_key: str | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key



    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/messages",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json; charset=utf-8"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorBody | MessageBody | None:
    if response.status_code == 201:
        response_201 = MessageBody.from_dict(response.json())



        return response_201

    if response.status_code == 202:
        response_202 = MessageBody.from_dict(response.json())



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

    if response.status_code == 409:
        response_409 = ErrorBody.from_dict(response.json())



        return response_409

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ErrorBody | MessageBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: RegisterMessage,
    idempotency_key: str | Unset = UNSET,

) -> Response[ErrorBody | MessageBody]:
    """ Send or register a message

     `channel: wecom_app` or `wecom_bot`: this service sends it through
    WeCom, paced under WeCom's limits; answered 202 once queued durably,
    every recipient `queued`, then `sent` or `failed` per recipient.
    `channel: external` (default): tracks a message you sent yourself;
    its recipients start at `status` (default `sent`), answered 201.
    Status callbacks and card clicks then move it along.

    Args:
        idempotency_key (str | Unset):
        body (RegisterMessage): A message to register (channel `external`: you sent it) or to send
            (`wecom_app`, `wecom_bot`, `wecom_aibot`, `wecom_external`: this service sends it). A send
            mirrors WeCom's
            own body: `msgtype` and the object named after it, e.g.
            `{"channel": "wecom_app", "recipients": ["zhangsan"], "msgtype": "text",
            "text": {"content": "你好"}}`. Example: {'id': 'order-20261128-0001', 'channel':
            'wecom_app', 'account': 'default', 'recipients': ['zhangsan', 'lisi'], 'parties': [],
            'tags': [], 'msgtype': 'text', 'text': {'content': '订单 0001 已发货'}, 'safe': False,
            'enable_duplicate_check': True}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | MessageBody]
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
    body: RegisterMessage,
    idempotency_key: str | Unset = UNSET,

) -> ErrorBody | MessageBody | None:
    """ Send or register a message

     `channel: wecom_app` or `wecom_bot`: this service sends it through
    WeCom, paced under WeCom's limits; answered 202 once queued durably,
    every recipient `queued`, then `sent` or `failed` per recipient.
    `channel: external` (default): tracks a message you sent yourself;
    its recipients start at `status` (default `sent`), answered 201.
    Status callbacks and card clicks then move it along.

    Args:
        idempotency_key (str | Unset):
        body (RegisterMessage): A message to register (channel `external`: you sent it) or to send
            (`wecom_app`, `wecom_bot`, `wecom_aibot`, `wecom_external`: this service sends it). A send
            mirrors WeCom's
            own body: `msgtype` and the object named after it, e.g.
            `{"channel": "wecom_app", "recipients": ["zhangsan"], "msgtype": "text",
            "text": {"content": "你好"}}`. Example: {'id': 'order-20261128-0001', 'channel':
            'wecom_app', 'account': 'default', 'recipients': ['zhangsan', 'lisi'], 'parties': [],
            'tags': [], 'msgtype': 'text', 'text': {'content': '订单 0001 已发货'}, 'safe': False,
            'enable_duplicate_check': True}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | MessageBody
     """


    return sync_detailed(
        client=client,
body=body,
idempotency_key=idempotency_key,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: RegisterMessage,
    idempotency_key: str | Unset = UNSET,

) -> Response[ErrorBody | MessageBody]:
    """ Send or register a message

     `channel: wecom_app` or `wecom_bot`: this service sends it through
    WeCom, paced under WeCom's limits; answered 202 once queued durably,
    every recipient `queued`, then `sent` or `failed` per recipient.
    `channel: external` (default): tracks a message you sent yourself;
    its recipients start at `status` (default `sent`), answered 201.
    Status callbacks and card clicks then move it along.

    Args:
        idempotency_key (str | Unset):
        body (RegisterMessage): A message to register (channel `external`: you sent it) or to send
            (`wecom_app`, `wecom_bot`, `wecom_aibot`, `wecom_external`: this service sends it). A send
            mirrors WeCom's
            own body: `msgtype` and the object named after it, e.g.
            `{"channel": "wecom_app", "recipients": ["zhangsan"], "msgtype": "text",
            "text": {"content": "你好"}}`. Example: {'id': 'order-20261128-0001', 'channel':
            'wecom_app', 'account': 'default', 'recipients': ['zhangsan', 'lisi'], 'parties': [],
            'tags': [], 'msgtype': 'text', 'text': {'content': '订单 0001 已发货'}, 'safe': False,
            'enable_duplicate_check': True}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | MessageBody]
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
    body: RegisterMessage,
    idempotency_key: str | Unset = UNSET,

) -> ErrorBody | MessageBody | None:
    """ Send or register a message

     `channel: wecom_app` or `wecom_bot`: this service sends it through
    WeCom, paced under WeCom's limits; answered 202 once queued durably,
    every recipient `queued`, then `sent` or `failed` per recipient.
    `channel: external` (default): tracks a message you sent yourself;
    its recipients start at `status` (default `sent`), answered 201.
    Status callbacks and card clicks then move it along.

    Args:
        idempotency_key (str | Unset):
        body (RegisterMessage): A message to register (channel `external`: you sent it) or to send
            (`wecom_app`, `wecom_bot`, `wecom_aibot`, `wecom_external`: this service sends it). A send
            mirrors WeCom's
            own body: `msgtype` and the object named after it, e.g.
            `{"channel": "wecom_app", "recipients": ["zhangsan"], "msgtype": "text",
            "text": {"content": "你好"}}`. Example: {'id': 'order-20261128-0001', 'channel':
            'wecom_app', 'account': 'default', 'recipients': ['zhangsan', 'lisi'], 'parties': [],
            'tags': [], 'msgtype': 'text', 'text': {'content': '订单 0001 已发货'}, 'safe': False,
            'enable_duplicate_check': True}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | MessageBody
     """


    return (await asyncio_detailed(
        client=client,
body=body,
idempotency_key=idempotency_key,

    )).parsed
