from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.error_body import ErrorBody
from ...models.stream_body import StreamBody
from ...models.stream_update import StreamUpdate
from typing import cast



def _get_kwargs(
    id: str,
    *,
    body: StreamUpdate,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}


    

    

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/api/v1/robot/streams/{id}".format(id=quote(str(id), safe=""),),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json; charset=utf-8"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorBody | StreamBody | None:
    if response.status_code == 200:
        response_200 = StreamBody.from_dict(response.json())



        return response_200

    if response.status_code == 202:
        response_202 = StreamBody.from_dict(response.json())



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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ErrorBody | StreamBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    body: StreamUpdate,

) -> Response[ErrorBody | StreamBody]:
    """ Write to a stream

     The whole answer so far (each write replaces the previous); WeCom's
    next refresh poll, on any replica, shows it. `finish` ends it, with
    optional images and a template card. A write after the deadline's
    force-finish answers 202; the last one (`finish: true`) is sent
    through the callback's `response_url`.

    Args:
        id (str):
        body (StreamUpdate): A write to a stream: the whole answer so far. Example: {'content':
            '订单 **20261128-0001** 已发货，预计明天送达。', 'finish': True, 'msg_item': []}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | StreamBody]
     """


    kwargs = _get_kwargs(
        id=id,
body=body,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    id: str,
    *,
    client: AuthenticatedClient,
    body: StreamUpdate,

) -> ErrorBody | StreamBody | None:
    """ Write to a stream

     The whole answer so far (each write replaces the previous); WeCom's
    next refresh poll, on any replica, shows it. `finish` ends it, with
    optional images and a template card. A write after the deadline's
    force-finish answers 202; the last one (`finish: true`) is sent
    through the callback's `response_url`.

    Args:
        id (str):
        body (StreamUpdate): A write to a stream: the whole answer so far. Example: {'content':
            '订单 **20261128-0001** 已发货，预计明天送达。', 'finish': True, 'msg_item': []}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | StreamBody
     """


    return sync_detailed(
        id=id,
client=client,
body=body,

    ).parsed

async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    body: StreamUpdate,

) -> Response[ErrorBody | StreamBody]:
    """ Write to a stream

     The whole answer so far (each write replaces the previous); WeCom's
    next refresh poll, on any replica, shows it. `finish` ends it, with
    optional images and a template card. A write after the deadline's
    force-finish answers 202; the last one (`finish: true`) is sent
    through the callback's `response_url`.

    Args:
        id (str):
        body (StreamUpdate): A write to a stream: the whole answer so far. Example: {'content':
            '订单 **20261128-0001** 已发货，预计明天送达。', 'finish': True, 'msg_item': []}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | StreamBody]
     """


    kwargs = _get_kwargs(
        id=id,
body=body,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient,
    body: StreamUpdate,

) -> ErrorBody | StreamBody | None:
    """ Write to a stream

     The whole answer so far (each write replaces the previous); WeCom's
    next refresh poll, on any replica, shows it. `finish` ends it, with
    optional images and a template card. A write after the deadline's
    force-finish answers 202; the last one (`finish: true`) is sent
    through the callback's `response_url`.

    Args:
        id (str):
        body (StreamUpdate): A write to a stream: the whole answer so far. Example: {'content':
            '订单 **20261128-0001** 已发货，预计明天送达。', 'finish': True, 'msg_item': []}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | StreamBody
     """


    return (await asyncio_detailed(
        id=id,
client=client,
body=body,

    )).parsed
